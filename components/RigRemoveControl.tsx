'use client';
/**
 * Removing a rig from its page, behind a confirmation that says what goes and what stays:
 * dispatch stops, its polecats' worktrees go, its history and repository stay. With work
 * in flight the server refuses unless "drain" is ticked (a landing in hand finishes first).
 */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { callCommand } from '@/lib/commands';

const BUTTON =
  'rounded px-3 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed disabled:opacity-50';

export function RigRemoveControl({ rig }: { rig: string }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const [drain, setDrain] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function remove() {
    setBusy(true);
    setError(null);
    const r = await callCommand('rig.remove', { rig, drain });
    setBusy(false);
    if (r.ok) router.push('/');
    else setError(r.message);
  }

  if (!confirming)
    return (
      <button
        type="button"
        onClick={() => setConfirming(true)}
        className={`${BUTTON} border border-rose-600 text-rose-700 hover:bg-rose-50 dark:text-rose-300 dark:hover:bg-rose-950`}
        data-testid="rig-remove-open"
      >
        Remove rig
      </button>
    );
  return (
    <div
      role="alertdialog"
      aria-label={`Remove ${rig}`}
      className="space-y-2 rounded border border-rose-600 p-3 text-sm"
      data-testid="rig-remove-confirm"
    >
      <p>
        Remove <span className="font-mono">{rig}</span>? Dispatch to it stops and its polecats’ worktrees are deleted. Its history
        (beads, merges, events) stays, and so does its repository on disk.
      </p>
      <label className="flex items-center gap-2">
        <input type="checkbox" checked={drain} onChange={(e) => setDrain(e.target.checked)} data-testid="rig-remove-drain" />
        Even with work in flight (drain: a landing in hand finishes, busy polecats stop)
      </label>
      {error && (
        <p role="alert" className="text-rose-700 dark:text-rose-300">
          {error}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <button type="button" onClick={() => setConfirming(false)} disabled={busy} className={`${BUTTON} text-slate-500`}>
          Cancel
        </button>
        <button
          type="button"
          onClick={() => void remove()}
          disabled={busy}
          className={`${BUTTON} bg-rose-600 text-white hover:bg-rose-500`}
          data-testid="rig-remove-submit"
        >
          {busy ? 'Removing…' : 'Remove'}
        </button>
      </div>
    </div>
  );
}
