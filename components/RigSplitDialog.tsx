'use client';
/**
 * The split dialog: partitions (prefilled from the rig's history), a live dry-run
 * preview — before/after partition diagrams, what moves where, expected drain times —
 * re-asked of the server on every edit, then "Apply split", which asks first with the plan's
 * numbers (what moves where, polecats added). The server validates; its reason is shown
 * as it is, and nothing changes until the split is confirmed.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SuggestedSplit, SplitPlan, SplitPreview } from '@/contracts/split';
import { plural } from '@/lib/format';
import { csrfHeaders } from '@/lib/session';
import { ConfirmDialog } from './ConfirmDialog';
import { MermaidDiagram } from './MermaidDiagram';
import { WhatIfPreview } from './WhatIfPreview';
import { SplitHistoryEvidence } from './SplitHistoryEvidence';

interface Row {
  name: string;
  globs: string;
  /** Polecats wanted; '' = in proportion to its work. */
  polecats: string;
}

type Answer<T> = { ok: true; data: T } | { ok: false; message: string };

async function post<T>(url: string, body: unknown): Promise<Answer<T>> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await csrfHeaders()) },
      body: JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    return res.ok
      ? { ok: true, data: json as T }
      : { ok: false, message: json?.error?.message ?? `The server answered ${res.status}` };
  } catch {
    return { ok: false, message: 'Could not reach the server; nothing was changed' };
  }
}

const INPUT =
  'rounded border border-slate-300 bg-white px-2 py-1 font-mono text-sm text-slate-900 focus:outline-none focus:ring-2 focus:ring-sky-500 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100';
const BUTTON =
  'rounded px-3 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed disabled:opacity-50';

export function RigSplitDialog({
  rig,
  onClose,
  onApplied,
}: {
  rig: string;
  onClose: () => void;
  onApplied: (message: string) => void;
}) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [spanning, setSpanning] = useState('');
  const [preview, setPreview] = useState<Answer<SplitPreview> | null>(null);
  const [confirming, setConfirming] = useState(false);
  const dialog = useRef<HTMLDivElement>(null);
  const base = `/api/rigs/${encodeURIComponent(rig)}/split`;

  useEffect(() => {
    fetch(`${base}/suggest`)
      .then((r) => (r.ok ? (r.json() as Promise<SuggestedSplit>) : null))
      .then((s) =>
        setRows(
          s?.partitions.map((p) => ({ name: p.name, globs: p.globs.join(', '), polecats: '' })) ?? [
            { name: `${rig}-a`, globs: '', polecats: '' },
          ],
        ),
      )
      .catch(() => setRows([{ name: `${rig}-a`, globs: '', polecats: '' }]));
    dialog.current?.focus();
  }, [base, rig]);

  const request = useCallback(
    () => ({
      partitions: (rows ?? []).map((r) => ({
        name: r.name.trim(),
        globs: r.globs
          .split(',')
          .map((g) => g.trim())
          .filter(Boolean),
      })),
      ...(spanning ? { spanning } : {}),
      polecats: Object.fromEntries(
        (rows ?? []).filter((r) => r.polecats.trim() !== '').map((r) => [r.name.trim(), Number(r.polecats)]),
      ),
    }),
    [rows, spanning],
  );

  // The preview follows every edit (debounced), so the diagrams are always of what Apply would do.
  useEffect(() => {
    if (rows === null) return;
    let current = true;
    const timer = setTimeout(async () => {
      const answer = await post<SplitPreview>(`${base}/preview`, request());
      if (current) setPreview(answer);
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [rows, spanning, base, request]);

  async function apply(): Promise<string | null> {
    const answer = await post<SplitPreview['plan']>(base, request());
    if (!answer.ok) return answer.message;
    onApplied(`${rig} split into ${answer.data.partitions.map((p) => p.name).join(', ')}`);
    return null;
  }

  const edit = (i: number, patch: Partial<Row>) => setRows((rs) => rs!.map((r, k) => (k === i ? { ...r, ...patch } : r)));
  const plan = preview?.ok ? preview.data.plan : null;

  return (
    <div className="fixed inset-0 z-40 flex items-start justify-center overflow-y-auto bg-black/60 p-4" onClick={onClose}>
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-label={`Split ${rig}`}
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === 'Escape' && onClose()}
        className="w-full max-w-5xl space-y-4 rounded-lg border border-slate-200 bg-white p-5 text-slate-900 shadow-xl focus:outline-none dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
        data-testid="split-dialog"
      >
        <header className="flex items-start justify-between gap-4">
          <div>
            <h2 className="text-lg font-semibold">Split {rig} into partitions</h2>
            <p className="text-sm text-slate-500">
              Each partition gets its own Refinery, Witness and merge queue and lands on the same target branch. Files no
              partition matches go to a remainder partition. Suggested from the files this rig’s work touched.
            </p>
          </div>
          <button
            type="button"
            onClick={onClose}
            className={`${BUTTON} text-slate-500 hover:text-slate-900 dark:hover:text-white`}
          >
            Close
          </button>
        </header>

        <SplitHistoryEvidence
          rig={rig}
          onUse={(partitions) => setRows(partitions.map((p) => ({ name: p.name, globs: p.globs.join(', '), polecats: '' })))}
        />

        {rows === null ? (
          <p className="text-sm text-slate-500">Reading the rig’s history…</p>
        ) : (
          <fieldset className="space-y-2" aria-label="Partitions">
            {rows.map((row, i) => (
              <div key={i} className="flex flex-wrap items-center gap-2">
                <input
                  aria-label={`Partition ${i + 1} name`}
                  className={`${INPUT} w-48`}
                  value={row.name}
                  onChange={(e) => edit(i, { name: e.target.value })}
                  data-testid={`partition-name-${i}`}
                />
                <input
                  aria-label={`Partition ${i + 1} globs`}
                  className={`${INPUT} min-w-64 flex-1`}
                  value={row.globs}
                  placeholder="core/**, lib/*.ts"
                  onChange={(e) => edit(i, { globs: e.target.value })}
                  data-testid={`partition-globs-${i}`}
                />
                <input
                  aria-label={`Partition ${i + 1} polecats`}
                  className={`${INPUT} w-24`}
                  type="number"
                  min={0}
                  max={50}
                  value={row.polecats}
                  placeholder="auto"
                  title="Polecats for this partition (empty: in proportion to its work)"
                  onChange={(e) => edit(i, { polecats: e.target.value })}
                  data-testid={`partition-polecats-${i}`}
                />
                <button
                  type="button"
                  className={`${BUTTON} text-rose-600 hover:bg-rose-50 dark:text-rose-300 dark:hover:bg-rose-950`}
                  onClick={() => setRows((rs) => rs!.filter((_, k) => k !== i))}
                  aria-label={`Remove partition ${i + 1}`}
                >
                  Remove
                </button>
              </div>
            ))}
            <div className="flex flex-wrap items-center gap-3">
              <button
                type="button"
                className={`${BUTTON} border border-slate-300 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800`}
                onClick={() => setRows((rs) => [...rs!, { name: `${rig}-${rs!.length + 1}`, globs: '', polecats: '' }])}
                data-testid="partition-add"
              >
                Add partition
              </button>
              <label className="text-sm text-slate-500">
                Work spanning partitions goes to{' '}
                <select
                  className={INPUT}
                  value={spanning}
                  onChange={(e) => setSpanning(e.target.value)}
                  data-testid="split-spanning"
                >
                  <option value="">the remainder (default)</option>
                  {rows.map((r, i) => (
                    <option key={i} value={r.name.trim()}>
                      {r.name.trim()}
                    </option>
                  ))}
                  <option value="stay">{rig}, kept as integration rig</option>
                </select>
              </label>
            </div>
          </fieldset>
        )}

        {preview && !preview.ok && (
          <p
            role="alert"
            className="rounded border border-rose-400 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-200"
            data-testid="split-error"
          >
            {preview.message}
          </p>
        )}

        {preview?.ok && plan && (
          <section aria-label="Preview" className="space-y-3" data-testid="split-preview">
            <div className="grid gap-3 md:grid-cols-3">
              <div>
                <h3 className="text-xs uppercase tracking-wide text-slate-500">Before</h3>
                <MermaidDiagram text={preview.data.diagram.before} label="Before the split" testId="split-before" />
              </div>
              <div className="md:col-span-2">
                <h3 className="text-xs uppercase tracking-wide text-slate-500">After</h3>
                <MermaidDiagram text={preview.data.diagram.after} label="After the split" testId="split-after" />
              </div>
            </div>
            <table className="w-full text-left text-sm" data-testid="split-plan">
              <thead className="text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th className="py-1">Rig</th>
                  <th>Files</th>
                  <th>Polecats</th>
                  <th>Beads</th>
                  <th>Queue</th>
                  <th>Expected drain</th>
                </tr>
              </thead>
              <tbody className="tabular-nums">
                <tr className="text-slate-500">
                  <td className="py-1 font-mono">{plan.rig} (now)</td>
                  <td>—</td>
                  <td>{plan.before.polecats}</td>
                  <td>—</td>
                  <td>{plan.before.queueDepth}</td>
                  <td>{plan.before.drainMinutes === null ? 'unknown' : `${plan.before.drainMinutes} min`}</td>
                </tr>
                {plan.partitions.map((p) => (
                  <tr key={p.name} className="border-t border-slate-200 dark:border-slate-800">
                    <td className="py-1 font-mono">
                      {p.name} {p.role !== 'partition' && <span className="text-xs text-slate-500">({p.role})</span>}
                    </td>
                    <td>{p.files}</td>
                    <td>
                      {p.polecats}
                      {p.added > 0 && <span className="text-xs text-slate-500"> (+{p.added} new)</span>}
                    </td>
                    <td>{p.beads.length}</td>
                    <td>{p.queueDepth}</td>
                    <td>{p.drainMinutes === null ? 'unknown' : `${p.drainMinutes} min`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="text-sm text-slate-500">
              {plan.spanning.beads.length} beads and {plan.spanning.mergeRequests.length} merge requests span partitions and go to{' '}
              <span className="font-mono">{plan.spanningTo}</span>.{' '}
              {plan.retire ? `${plan.rig} is retired (kept in history, merge back any time).` : `${plan.rig} stays for them.`}
              {plan.removedPolecats.length > 0 && ` ${plan.removedPolecats.length} idle polecats are removed.`}
            </p>
            <WhatIfPreview
              rig={rig}
              label="What-if: simulate the split from this rig’s history"
              basis={`polecats ${plan.before.polecats}`}
              change={{
                kind: 'split',
                partitions: plan.partitions.map((p) => ({ name: p.name, globs: p.scope.length > 0 ? p.scope : ['**'] })),
              }}
            />
            {plan.warnings.map((w) => (
              <p key={w} className="text-sm text-amber-700 dark:text-amber-300">
                {w}
              </p>
            ))}
          </section>
        )}

        <footer className="flex items-center justify-end gap-3">
          <button
            type="button"
            onClick={() => setConfirming(true)}
            disabled={!preview?.ok}
            className={`${BUTTON} bg-amber-700 text-white hover:bg-amber-600`}
            data-testid="split-apply"
          >
            Apply split…
          </button>
        </footer>
        {confirming && plan && (
          <ConfirmDialog
            title={`Split ${rig}?`}
            confirmLabel="Split"
            tone="caution"
            onConfirm={apply}
            onClose={() => setConfirming(false)}
            summary={<SplitSummary plan={plan} />}
          />
        )}
      </div>
    </div>
  );
}

/** What applying the plan does, in its numbers: what moves, to how many new rigs, how many polecats are added. */
function SplitSummary({ plan }: { plan: SplitPlan }) {
  const created = plan.partitions.filter((p) => p.role !== 'integration');
  const sum = (f: (p: SplitPlan['partitions'][number]) => number) => created.reduce((n, p) => n + f(p), 0);
  const added = sum((p) => p.added);
  return (
    <>
      <p data-testid="split-summary">
        Moves{' '}
        {plural(
          sum((p) => p.mergeRequests.length),
          'merge request',
        )}{' '}
        ({sum((p) => p.queueDepth)} queued) and{' '}
        {plural(
          sum((p) => p.beads.length),
          'bead',
        )}{' '}
        to {plural(created.length, 'new rig')} (<span className="font-mono">{created.map((p) => p.name).join(', ')}</span>), adds{' '}
        {plural(added, 'polecat')}
        {added > 0 ? ' (new agents, new token spend)' : ''} and moves{' '}
        {plural(
          sum((p) => p.moved.length),
          'polecat',
        )}{' '}
        over.
        {plan.removedPolecats.length > 0 && ` ${plural(plan.removedPolecats.length, 'idle polecat')} removed.`}
      </p>
      <p>
        {plan.retire
          ? `${plan.rig} is retired (kept in history; merge back any time).`
          : `${plan.rig} stays as the integration rig for work spanning partitions.`}
      </p>
    </>
  );
}
