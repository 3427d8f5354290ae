'use client';
/**
 * "Preview" beside an operator's lever (scale the Refinery, stagger a convoy, split a
 * rig): runs the what-if from the live rig, calibrated from its history, with and
 * without the change, and shows the figures before and after. Nothing in the town
 * changes; the lever itself still has to be pulled. While it runs it shows its step and
 * the time so far, and Cancel closes the request (the server stops the runs). A preview
 * computed for another change or another `basis` (the live state the lever acts on, e.g.
 * the worker count before Apply) is marked out of date, not shown as current.
 *
 * Usage: <WhatIfPreview rig="myproject" change={{ kind: 'scale', workers: 3 }} basis={`workers ${now}`} />
 */
import { useEffect, useRef, useState } from 'react';
import type { Change, Preview, LabFigures, PreviewProgress } from '@/contracts/lab';
import { labPreview } from '@/lib/lab-client';
import { formatSpan } from '@/lib/format';

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(0)}%`);
const one = (v: number | null) => (v === null ? '–' : v.toFixed(1));

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
  show: (f) => (f.convoyLandedMs === null ? '–' : formatSpan(f.convoyLandedMs)),
  value: (f) => f.convoyLandedMs,
  higherIsBetter: false,
};

function tone(row: Row, before: LabFigures, after: LabFigures): string {
  const b = row.value(before);
  const a = row.value(after);
  if (a === null || b === null || Math.abs(a - b) < 1e-9) return '';
  return a > b === row.higherIsBetter ? 'text-emerald-700 dark:text-emerald-500' : 'text-rose-700 dark:text-rose-400';
}

export function WhatIfPreview({
  rig,
  change,
  basis = '',
  label = 'Preview',
}: {
  rig: string;
  change: Change;
  /** What the preview was computed on besides `change`; when it changes, the preview is out of date. */
  basis?: string;
  label?: string;
}) {
  const [running, setRunning] = useState<{ startedAt: number; progress: PreviewProgress | null } | null>(null);
  const [now, setNow] = useState(0);
  const [shown, setShown] = useState<{ preview: Preview; key: string } | null>(null);
  const [message, setMessage] = useState<{ text: string; cancelled: boolean } | null>(null);
  const controller = useRef<AbortController | null>(null);
  const key = JSON.stringify([rig, change, basis]);

  // The elapsed time ticks while a preview runs; leaving the page stops the preview.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [running]);
  useEffect(() => () => controller.current?.abort(), []);

  async function run() {
    const mine = new AbortController();
    controller.current = mine;
    setMessage(null);
    setNow(Date.now());
    setRunning({ startedAt: Date.now(), progress: null });
    const computedFor = key;
    const answer = await labPreview({ rig, change }, (progress) => setRunning((r) => r && { ...r, progress }), mine.signal);
    if (controller.current !== mine) return;
    controller.current = null;
    setRunning(null);
    if (answer.ok) setShown({ preview: answer.data, key: computedFor });
    else setMessage({ text: answer.message, cancelled: 'cancelled' in answer });
  }

  const preview = shown?.preview ?? null;
  const stale = shown !== null && shown.key !== key;
  const rows = preview?.change.kind === 'stagger' ? [CONVOY_ROW, ...ROWS] : ROWS;
  const elapsed = running ? Math.max(0, now - running.startedAt) / 1000 : 0;
  return (
    <div className="space-y-2" data-testid="whatif-preview">
      <div className="flex flex-wrap items-center gap-2">
        <button
          type="button"
          onClick={run}
          disabled={running !== null}
          className="rounded border border-sky-700 px-2.5 py-1 text-sm font-medium text-sky-700 hover:bg-sky-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:opacity-50 dark:text-sky-300 dark:hover:bg-slate-800"
          data-testid="whatif-preview-run"
        >
          {running ? 'Simulating…' : stale ? `${label} again` : label}
        </button>
        {running && (
          <>
            <span
              role="status"
              aria-live="polite"
              className="text-sm tabular-nums text-slate-500"
              data-testid="whatif-preview-progress"
            >
              {running.progress
                ? `Step ${running.progress.step} of ${running.progress.steps}: ${running.progress.label}`
                : 'Waiting for the lab'}{' '}
              · {elapsed.toFixed(1)} s
            </span>
            <button
              type="button"
              onClick={() => controller.current?.abort()}
              className="rounded border border-slate-400 px-2 py-0.5 text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800"
              data-testid="whatif-preview-cancel"
            >
              Cancel
            </button>
          </>
        )}
      </div>
      {message && (
        <p
          role={message.cancelled ? 'status' : 'alert'}
          className={`text-sm ${message.cancelled ? 'text-slate-500' : 'text-rose-700 dark:text-rose-400'}`}
          data-testid={message.cancelled ? 'whatif-preview-cancelled' : 'whatif-preview-error'}
        >
          {message.text}
        </p>
      )}
      {preview && (
        <div className="text-sm" data-testid="whatif-preview-result" data-stale={stale}>
          {stale && (
            <p
              className="mb-1 rounded border border-amber-500/60 bg-amber-50 px-2 py-1 text-amber-900 dark:bg-amber-950/40 dark:text-amber-200"
              data-testid="whatif-preview-stale"
            >
              Out of date: computed before the last Apply or edit. Preview again for current figures.
            </p>
          )}
          <table className={`w-full text-left tabular-nums ${stale ? 'opacity-50' : ''}`}>
            <thead className="text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="py-1 font-medium">
                  {preview.change.kind === 'stagger'
                    ? 'What-if, until the convoy lands'
                    : `What-if, ${Number(preview.before.params.hours.toFixed(1))} virtual h`}
                </th>
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
          <p className={`mt-1 text-xs text-slate-500 ${stale ? 'opacity-50' : ''}`}>
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
