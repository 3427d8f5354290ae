'use client';
/**
 * A rig's place in split history, with the actions it allows: "Split…" for an active
 * rig, "Merge back" for a split rig or one of its partitions (operators only; the API
 * refuses viewers anyway). Merging moves work, so it asks first, with the partitions'
 * numbers as they are now.
 */
import Link from 'next/link';
import { useState } from 'react';
import type { RigDetail } from '@/contracts/realtime';
import type { RigView } from '@/contracts/town';
import { callCommand } from '@/lib/commands';
import { plural } from '@/lib/format';
import { useCanAct } from '@/lib/session';
import { toast } from '@/lib/toast';
import { ConfirmDialog } from './ConfirmDialog';
import { RigSplitDialog } from './RigSplitDialog';

const BUTTON =
  'rounded px-3 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:opacity-50';

const rigLink = (name: string) => (
  <Link
    key={name}
    href={`/rigs/${encodeURIComponent(name)}`}
    className="font-mono text-sky-700 hover:underline dark:text-sky-300"
  >
    {name}
  </Link>
);

function joined(names: string[]) {
  return names.flatMap((n, i) => (i === 0 ? [rigLink(n)] : [', ', rigLink(n)]));
}

async function rigView(name: string): Promise<RigView | null> {
  const res = await fetch(`/api/rigs/${encodeURIComponent(name)}`).catch(() => null);
  return res?.ok ? ((await res.json()) as RigDetail).rig : null;
}

/** The live partitions a merge of `parent` would fold back, as they are now (null: could not read them). */
async function livePartitions(parent: string): Promise<RigView[] | null> {
  const split = await rigView(parent);
  if (!split) return null;
  const parts = await Promise.all((split.lineage?.splitInto ?? []).map(rigView));
  return parts.some((p) => p === null) ? null : (parts as RigView[]).filter((p) => p.status !== 'retired');
}

function mergeSummary(parent: string, parts: RigView[] | null | undefined) {
  if (parts === undefined) return <p>Counting the partitions’ work…</p>;
  if (parts === null) return <p>Could not read the partitions’ numbers; the merge moves all their work.</p>;
  const sum = (f: (r: RigView) => number) => parts.reduce((n, r) => n + f(r), 0);
  return (
    <p>
      Moves{' '}
      {plural(
        sum((r) => r.queueDepth),
        'queued merge request',
      )}
      ,{' '}
      {plural(
        sum((r) => r.openBeads),
        'open bead',
      )}{' '}
      and{' '}
      {plural(
        sum((r) => r.polecats.length),
        'polecat',
      )}{' '}
      from {plural(parts.length, 'partition')} (<span className="font-mono">{parts.map((r) => r.name).join(', ')}</span>) back
      into <span className="font-mono">{parent}</span>. The partitions are retired; their history stays.
    </p>
  );
}

export function RigLineage({ rig }: { rig: RigView }) {
  const canAct = useCanAct();
  const [splitting, setSplitting] = useState(false);
  const [busy, setBusy] = useState(false);
  /** The merge's confirmation: closed (false), counting (undefined) or the partitions' numbers. */
  const [merging, setMerging] = useState<false | RigView[] | null | undefined>(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const lineage = rig.lineage;
  const splitInto = lineage?.splitInto ?? [];
  const parent = splitInto.length > 0 ? rig.name : (lineage?.splitFrom ?? null);
  const canMerge = parent !== null && rig.lineage?.mergedInto == null && (splitInto.length > 0 || rig.status !== 'retired');

  async function mergeBack() {
    setBusy(true);
    const result = await callCommand('rig.merge', { rig: rig.name });
    setBusy(false);
    setMessage({ ok: result.ok, text: result.ok ? `Partitions merged back into ${parent}` : result.message });
    return result.ok ? null : result.message;
  }

  function confirmMerge() {
    setMerging(undefined);
    void livePartitions(parent!).then((parts) => setMerging((open) => (open === false ? false : parts)));
  }

  return (
    <div className="flex flex-wrap items-center gap-3 text-sm" data-testid="rig-lineage">
      <span className="text-slate-500">
        scope <span className="font-mono">{rig.scopeText}</span>
        {lineage?.splitFrom && <> · partition of {rigLink(lineage.splitFrom)}</>}
        {splitInto.length > 0 && <> · split into {joined(splitInto)}</>}
        {lineage?.mergedInto && <> · merged back into {rigLink(lineage.mergedInto)}</>}
      </span>
      {canAct && rig.status === 'active' && (
        <button
          type="button"
          className={`${BUTTON} bg-amber-700 text-white hover:bg-amber-600`}
          onClick={() => setSplitting(true)}
          data-testid="split-open"
        >
          Split rig…
        </button>
      )}
      {canAct && canMerge && (
        <button
          type="button"
          disabled={busy}
          className={`${BUTTON} border border-slate-300 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800`}
          onClick={confirmMerge}
          data-testid="merge-back"
        >
          {busy ? 'Merging…' : `Merge partitions back into ${parent}`}
        </button>
      )}
      <span
        role="status"
        aria-live="polite"
        data-testid="lineage-result"
        className={message?.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}
      >
        {message?.text}
      </span>
      {merging !== false && (
        <ConfirmDialog
          title={`Merge back into ${parent}?`}
          confirmLabel="Merge back"
          tone="caution"
          onConfirm={mergeBack}
          onClose={() => setMerging(false)}
          summary={mergeSummary(parent!, merging)}
        />
      )}
      {splitting && (
        <RigSplitDialog
          rig={rig.name}
          onClose={() => setSplitting(false)}
          onApplied={(text) => {
            setSplitting(false);
            setMessage({ ok: true, text });
            toast(text);
          }}
        />
      )}
    </div>
  );
}
