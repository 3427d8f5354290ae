'use client';
/**
 * Beside a split suggestion: what the rig's replayed history says (the lab's history
 * curve, server/lab/history): the conflict share without a split and the partitions
 * ranked by the share each leaves, one click to take one. Says so when the rig was not
 * replayed yet, rather than showing nothing.
 */
import { useEffect, useState } from 'react';
import type { HistoryReport } from '@/contracts/lab-history';
import type { PartitionSpec } from '@/contracts/split';
import { labGet } from '@/lib/lab-client';

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(0)}%`);
const SHOWN = 3;

export function SplitHistoryEvidence({ rig, onUse }: { rig: string; onUse: (partitions: PartitionSpec[]) => void }) {
  const [report, setReport] = useState<HistoryReport | null | 'unavailable'>(null);
  useEffect(() => {
    void labGet<{ report: HistoryReport | null }>(`history?rig=${encodeURIComponent(rig)}`).then((a) =>
      setReport(a.ok ? a.data.report : 'unavailable'),
    );
  }, [rig]);

  if (report === 'unavailable') return <p className="text-sm text-slate-500">History replay unavailable.</p>;
  if (report === null)
    return (
      <p className="text-sm text-slate-500" data-testid="split-history">
        No history replay of {rig} yet: the lab page’s “Replay history” (or <code>gt lab history {rig}</code>) ranks partitions by
        the conflicts they leave.
      </p>
    );
  return (
    <div className="text-sm" data-testid="split-history">
      <p className="text-slate-500">
        From {rig}’s replayed history ({report.changes} changes): {pct(report.unsplitRate)} conflicts at N ={' '}
        {report.partitionsAtN} unsplit.
      </p>
      <ol className="mt-1 space-y-1">
        {report.partitions.slice(0, SHOWN).map((p, i) => (
          <li key={i} className="flex flex-wrap items-center gap-2">
            <span className="font-mono">{p.partitions.map((s) => s.globs.join(',')).join(' | ')}</span>
            <span className="text-slate-500">
              {pct(p.rate)} after the split, {pct(p.spanningShare)} spanning ({p.source})
            </span>
            <button
              type="button"
              className="text-sky-700 underline-offset-4 hover:underline dark:text-sky-300"
              onClick={() => onUse(p.partitions)}
            >
              Use
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}
