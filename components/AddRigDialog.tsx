'use client';
/**
 * The Add rig dialog (overview, and the empty town's first screen): a name and a git URL
 * (https, ssh, git, file:// or an absolute path), optionally the target branch, the
 * polecats to start with and "land locally only". The server clones the repository
 * (POST /api/rigs, command rig.add); git's progress arrives as `rig.clone_progress` events
 * on the town stream and is shown as it comes; a refusal is shown in the server's words
 * (git's reason for a failed clone), and nothing was created.
 */
import { useEffect, useRef, useState } from 'react';
import { checkGitUrl } from '@/contracts/git-url';
import { csrfHeaders } from '@/lib/session';
import { streamClient } from '@/lib/stream-client';
import type { Rig } from '@/contracts/records';

const INPUT =
  'w-full rounded border border-slate-300 bg-white px-2 py-1 font-mono text-sm text-slate-900 focus:outline-none focus:ring-2 focus:ring-sky-500 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100';
const BUTTON =
  'rounded px-3 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed disabled:opacity-50';
const LABEL = 'block space-y-1 text-sm';

/** The button that opens the dialog (the page holds the dialog, so it outlives the empty town's card). */
export function AddRigButton({ primary = false, onOpen }: { primary?: boolean; onOpen: () => void }) {
  return (
    <button
      type="button"
      onClick={onOpen}
      className={`${BUTTON} ${primary ? 'bg-sky-700 text-white hover:bg-sky-600' : 'border border-slate-300 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800'}`}
      data-testid="add-rig-open"
    >
      Add rig
    </button>
  );
}

export function AddRigDialog({ onClose, onAdded }: { onClose: () => void; onAdded: (message: string) => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [branch, setBranch] = useState('');
  const [polecats, setPolecats] = useState('2');
  const [local, setLocal] = useState(false);
  const [adding, setAdding] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const cloning = useRef<string | null>(null);

  // Escape closes it wherever the focus is (a disabled button drops it to the page), unless a clone runs.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && !adding && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [adding, onClose]);

  useEffect(() => {
    dialog.current?.focus();
    return streamClient().subscribe('town', {
      snapshot: () => undefined,
      delta: (items) => {
        for (const item of items) {
          if (item.kind !== 'event' || item.event.type !== 'rig.clone_progress') continue;
          if (item.event.rig === cloning.current) setProgress(`${item.event.phase} ${item.event.percent}%`);
        }
      },
    });
  }, []);

  const urlCheck = url.trim() === '' ? null : checkGitUrl(url.trim());

  async function add() {
    setAdding(true);
    setError(null);
    setProgress(null);
    cloning.current = name.trim();
    try {
      const res = await fetch('/api/rigs', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await csrfHeaders()) },
        body: JSON.stringify({
          name: name.trim(),
          url: url.trim(),
          ...(branch.trim() ? { branch: branch.trim() } : {}),
          local,
          polecats: Number(polecats) || 0,
        }),
      });
      const body = (await res.json().catch(() => null)) as (Rig & { error?: { message?: string } }) | null;
      if (res.ok && body) onAdded(`${body.name} added: lands on ${body.targetBranch} (${body.settings.landing})`);
      else setError(body?.error?.message ?? `The server answered ${res.status}`);
    } catch {
      setError('Could not reach the server; nothing was added');
    } finally {
      cloning.current = null;
      setAdding(false);
    }
  }

  return (
    <div className="fixed inset-0 z-40 flex items-start justify-center overflow-y-auto bg-black/60 p-4" onClick={onClose}>
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-label="Add rig"
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
        className="w-full max-w-xl space-y-4 rounded-lg border border-slate-200 bg-white p-5 text-slate-900 shadow-xl focus:outline-none dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
        data-testid="add-rig-dialog"
      >
        <header>
          <h2 className="text-lg font-semibold">Add a rig</h2>
          <p className="text-sm text-slate-500">
            The server clones the repository and puts polecats to work on it. Credentials come from the server’s own git set-up
            (credential helpers, ssh agent); a password in the URL is used for this clone only and never stored or shown.
          </p>
        </header>
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            void add();
          }}
        >
          <label className={LABEL}>
            <span>Name</span>
            <input
              className={INPUT}
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="myproject"
              required
              pattern="[a-z0-9][a-z0-9\-]{0,39}"
              title="lower-case letters, digits and dashes"
              data-testid="add-rig-name"
            />
          </label>
          <label className={LABEL}>
            <span>Repository URL or path</span>
            <input
              className={INPUT}
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              placeholder="https://github.com/you/project.git"
              required
              data-testid="add-rig-url"
            />
            {urlCheck && !urlCheck.ok && <span className="text-xs text-amber-700 dark:text-amber-400">{urlCheck.reason}</span>}
          </label>
          <div className="grid grid-cols-2 gap-3">
            <label className={LABEL}>
              <span>Target branch</span>
              <input
                className={INPUT}
                value={branch}
                onChange={(e) => setBranch(e.target.value)}
                placeholder="the upstream’s default"
                data-testid="add-rig-branch"
              />
            </label>
            <label className={LABEL}>
              <span>Polecats</span>
              <input
                className={INPUT}
                type="number"
                min={0}
                max={50}
                value={polecats}
                onChange={(e) => setPolecats(e.target.value)}
                data-testid="add-rig-polecats"
              />
            </label>
          </div>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={local} onChange={(e) => setLocal(e.target.checked)} data-testid="add-rig-local" />
            Land locally only (never push to the upstream)
          </label>
          {adding && (
            <p role="status" className="text-sm text-slate-600 dark:text-slate-300" data-testid="add-rig-progress">
              Cloning… {progress ?? 'starting'}
            </p>
          )}
          {error && (
            <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="add-rig-error">
              {error}
            </p>
          )}
          <footer className="flex justify-end gap-2">
            <button type="button" onClick={onClose} disabled={adding} className={`${BUTTON} text-slate-500`}>
              Cancel
            </button>
            <button
              type="submit"
              disabled={adding || !name.trim() || !urlCheck?.ok}
              className={`${BUTTON} bg-sky-700 text-white hover:bg-sky-600`}
              data-testid="add-rig-submit"
            >
              {adding ? 'Adding…' : 'Add rig'}
            </button>
          </footer>
        </form>
      </div>
    </div>
  );
}
