'use client';
/**
 * "Preview" beside an operator's lever (scale the Refinery, stagger a convoy, split a
 * rig): runs the what-if from the live rig, calibrated from its history, with and
 * without the change, and shows the figures before and after. Nothing in the town
 * changes; the lever itself still has to be pulled.
 *
 * Usage: <WhatIfPreview rig="myproject" change={{ kind: 'split', partitions }} />
 */
import { useState } from 'react';
import type { Change, Preview, LabFigures } from '@/contracts/lab';
import { labPost } from '@/lib/lab-client';

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(0)}%`);
const one = (v: number | null) => (v === null ? '–' : v.toFixed(1));
const hours = (ms: number | null) => (ms === null ? '–' : `${(ms / 3_600_000).toFixed(1)} h`);

interface Row {
  label: string;
  show: (f: LabFigures) => string;
  value: (f: LabFigures) => number | null;
  /** Whether a higher value is the better one (colours the change). */
  higherIsBetter: boolean;
}

const ROWS: Row[] = [
  { label: 'Conflict rate', show: (f) => pct(f.conflictRate), value: (f) => f.conflictRate, higherIsBetter: false },
  { label: 'Merges / hour', show: (f) => one(f.mergesPerHour), value: (f) => f.mergesPerHour, higherIsBetter: true },
  { label: 'Queue depth (mean)', show: (f) => one(f.queueDepth.mean), value: (f) => f.queueDepth.mean, higherIsBetter: false },
  {
    label: 'Wait in queue p50 (min)',
    show: (f) => one(f.timeInQueueMinutesP50),
    value: (f) => f.timeInQueueMinutesP50,
    higherIsBetter: false,
  },
];
const CONVOY_ROW: Row = {
  label: 'Convoy lands in',
  show: (f) => hours(f.convoyLandedMs),
  value: (f) => f.convoyLandedMs,
  higherIsBetter: false,
};

function tone(row: Row, before: LabFigures, after: LabFigures): string {
  const b = row.value(before);
  const a = row.value(after);
  if (a === null || b === null || Math.abs(a - b) < 1e-9) return '';
  return a > b === row.higherIsBetter ? 'text-emerald-500' : 'text-rose-400';
}

export function WhatIfPreview({ rig, change, label = 'Preview' }: { rig: string; change: Change; label?: string }) {
  const [pending, setPending] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run() {
    setPending(true);
    setError(null);
    const answer = await labPost<Preview>('preview', { rig, change });
    setPending(false);
    if (answer.ok) setPreview(answer.data);
    else {
      setPreview(null);
      setError(answer.message);
    }
  }

  const rows = preview?.change.kind === 'stagger' ? [CONVOY_ROW, ...ROWS] : ROWS;
  return (
    <div className="space-y-2" data-testid="whatif-preview">
      <button
        type="button"
        onClick={run}
        disabled={pending}
        className="rounded border border-sky-700 px-2.5 py-1 text-sm font-medium text-sky-700 hover:bg-sky-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:opacity-50 dark:text-sky-300 dark:hover:bg-slate-800"
        data-testid="whatif-preview-run"
      >
        {pending ? 'Simulating…' : label}
      </button>
      {error && (
        <p role="alert" className="text-sm text-rose-400" data-testid="whatif-preview-error">
          {error}
        </p>
      )}
      {preview && (
        <div className="text-sm" data-testid="whatif-preview-result">
          <table className="w-full text-left tabular-nums">
            <thead className="text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="py-1 font-medium">What-if, {Number(preview.before.params.hours.toFixed(1))} virtual h</th>
                <th className="py-1 font-medium">Now</th>
                <th className="py-1 font-medium">After</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.label} className="border-t border-slate-200 dark:border-slate-800">
                  <td className="py-1 text-slate-500">{row.label}</td>
                  <td className="py-1">{row.show(preview.before.figures)}</td>
                  <td className={`py-1 font-semibold ${tone(row, preview.before.figures, preview.after.figures)}`}>
                    {row.show(preview.after.figures)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="mt-1 text-xs text-slate-500">
            Simulated from {rig}: {preview.calibration.params.polecatsPerRig} polecats,{' '}
            {preview.calibration.recorded.workMinutes.sample > 0
              ? `work ≈ ${one(preview.calibration.recorded.workMinutes.value)} min (n=${preview.calibration.recorded.workMinutes.sample})`
              : 'work time from settings'}
            , conflict rate {pct(preview.calibration.recorded.conflictRate.value)} (n=
            {preview.calibration.recorded.conflictRate.sample}).
            {preview.notes.length > 0 && ` Note: ${preview.notes.join('; ')}.`}
          </p>
        </div>
      )}
    </div>
  );
}
