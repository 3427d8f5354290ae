'use client';
/**
 * The history lab on the /lab page: replay a rig's own git history (POST /api/lab/history)
 * and read its conflict curve with the seed's three points beside it, the N where it
 * reaches 30%, and the partitions ranked by the conflicts a split would leave. The replay
 * runs in a worker on the server; this panel polls its progress while it runs.
 */
import { useEffect, useState } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { PAINFUL_RATE, SEED_CURVE, type HistoryProgress, type HistoryReport } from '@/contracts/lab-history';
import { labGet, labPost } from '@/lib/lab-client';
import { BUTTON_QUIET, INPUT, PANEL, PANEL_TITLE } from './ConvoyParts';

const TOOLTIP = { background: '#0f172a', border: '1px solid #334155', fontSize: 12 };
const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(0)}%`);
const POLL_MS = 500;
const TICKS = [1, 5, 10, 15, 20, 30, 40, 50];

export function LabHistory({ rigs }: { rigs: string[] }) {
  const [rig, setRig] = useState('');
  const [maxN, setMaxN] = useState(50);
  const [windows, setWindows] = useState(40);
  const [report, setReport] = useState<HistoryReport | null>(null);
  const [progress, setProgress] = useState<HistoryProgress>({ state: 'idle' });
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chosen = rig || rigs[0] || '';

  useEffect(() => {
    if (!chosen) return;
    void labGet<{ report: HistoryReport | null }>(`history?rig=${encodeURIComponent(chosen)}`).then((a) => {
      if (a.ok) setReport(a.data.report);
    });
  }, [chosen]);

  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => {
      void labGet<{ progress: HistoryProgress }>('history').then((a) => a.ok && setProgress(a.data.progress));
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [pending]);

  async function replay() {
    setPending(true);
    setError(null);
    const answer = await labPost<HistoryReport>('history', { rig: chosen, maxN, windows });
    setPending(false);
    setProgress({ state: 'idle' });
    if (!answer.ok) return setError(answer.message);
    setReport(answer.data);
  }

  const rows =
    report?.curve.filter((p) => p.windows > 0).map((p) => ({ n: p.n, rate: p.rate * 100, band: [p.low * 100, p.high * 100] })) ??
    [];
  const seed = SEED_CURVE.map((p) => ({ n: p.n, seed: p.rate * 100 }));
  return (
    <section className={PANEL} aria-labelledby="lab-history" data-testid="lab-history">
      <h2 id="lab-history" className={PANEL_TITLE}>
        This repository’s own curve
      </h2>
      <p className="mb-3 text-sm text-slate-500">
        N consecutive changes of the rig’s history cut from one base and landed in order through the Refinery’s merge path: the
        share that conflicts. Sequential history is not concurrent work (see docs/lab.md).
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <select
          value={chosen}
          onChange={(e) => setRig(e.target.value)}
          className={INPUT}
          aria-label="Rig to replay"
          data-testid="lab-history-rig"
        >
          {rigs.length === 0 && <option value="">no rigs</option>}
          {rigs.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <label className="text-sm text-slate-500">
          N up to{' '}
          <input
            type="number"
            min={2}
            max={50}
            value={maxN}
            onChange={(e) => setMaxN(Number(e.target.value))}
            className={`${INPUT} w-20`}
          />
        </label>
        <label className="text-sm text-slate-500">
          windows{' '}
          <input
            type="number"
            min={1}
            max={200}
            value={windows}
            onChange={(e) => setWindows(Number(e.target.value))}
            className={`${INPUT} w-20`}
          />
        </label>
        <button
          type="button"
          onClick={replay}
          disabled={pending || !chosen}
          className={BUTTON_QUIET}
          data-testid="lab-history-run"
        >
          {pending ? 'Replaying…' : 'Replay history'}
        </button>
        <p
          role="status"
          aria-live="polite"
          className={`text-sm ${error ? 'text-rose-700 dark:text-rose-400' : 'text-slate-500'}`}
          data-testid="lab-history-status"
        >
          {error ??
            (pending
              ? progress.state === 'running'
                ? `window ${progress.windowsDone} of ${progress.windows}`
                : 'waiting for its turn'
              : report
                ? `${report.rig}: ${report.changes} changes, ${report.windowsSampled} windows (seed ${report.seed}), ${report.windowsSkipped} skipped, ${(report.elapsedMs / 1000).toFixed(1)} s`
                : 'not replayed yet')}
        </p>
      </div>

      {report && (
        <>
          <p className="mt-3 text-base font-medium" data-testid="lab-history-headline">
            {report.reachesPainfulAt === null
              ? `This repository stays under ${pct(PAINFUL_RATE)} conflicts up to N = ${report.maxN} polecats`
              : `This repository reaches ${pct(PAINFUL_RATE)} conflicts at ${report.reachesPainfulAt} polecats`}
            <span className="ml-2 text-sm font-normal text-slate-500">(the seed’s repository: at 15)</span>
          </p>
          <figure className="mt-2 h-64" data-testid="lab-history-chart">
            <figcaption className="mb-1 text-xs uppercase tracking-wide text-slate-500">
              Conflict share against N (95% interval shaded; the seed’s three points)
            </figcaption>
            <ResponsiveContainer width="100%" height="100%">
              <ComposedChart data={rows} margin={{ top: 8, right: 16, bottom: 0, left: -16 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#33415555" />
                <XAxis
                  dataKey="n"
                  type="number"
                  domain={[1, report.maxN]}
                  ticks={TICKS.filter((t) => t <= report.maxN)}
                  tick={{ fontSize: 11 }}
                  stroke="#94a3b8"
                />
                <YAxis domain={[0, 100]} tick={{ fontSize: 11 }} stroke="#94a3b8" tickFormatter={(v: number) => `${v}%`} />
                <Tooltip
                  contentStyle={TOOLTIP}
                  labelFormatter={(n) => `N = ${n}`}
                  formatter={(v) =>
                    Array.isArray(v) ? v.map((x) => `${Number(x).toFixed(0)}%`).join('–') : `${Number(v).toFixed(1)}%`
                  }
                />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                <ReferenceLine y={PAINFUL_RATE * 100} stroke="#f59e0b" strokeDasharray="4 4" />
                <Area
                  dataKey="band"
                  name="95% interval"
                  fill="#38bdf8"
                  fillOpacity={0.2}
                  stroke="none"
                  isAnimationActive={false}
                />
                <Line
                  dataKey="rate"
                  name="this repository"
                  stroke="#38bdf8"
                  strokeWidth={2}
                  dot={false}
                  isAnimationActive={false}
                />
                <Scatter data={seed} dataKey="seed" name="the seed" fill="#f472b6" isAnimationActive={false} />
              </ComposedChart>
            </ResponsiveContainer>
          </figure>
          <h3 className="mt-4 text-sm font-semibold text-slate-500">
            Partitions at N = {report.partitionsAtN} (unsplit {pct(report.unsplitRate)})
          </h3>
          <table className="mt-1 w-full text-left text-sm" data-testid="lab-history-partitions">
            <thead className="text-xs uppercase text-slate-500">
              <tr>
                <th className="py-1">#</th>
                <th>parts (polecats, conflicts)</th>
                <th>from</th>
                <th>after split</th>
                <th>spanning</th>
              </tr>
            </thead>
            <tbody>
              {report.partitions.map((p, i) => (
                <tr key={i} className="border-t border-slate-200 dark:border-slate-800">
                  <td className="py-1">{i + 1}</td>
                  <td>
                    {p.parts.map((part) => `${part.globs.join(',') || 'rest'} (${part.polecats}, ${pct(part.rate)})`).join(' · ')}
                  </td>
                  <td>{p.source}</td>
                  <td>{pct(p.rate)}</td>
                  <td>{pct(p.spanningShare)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.coChange.length > 0 && (
            <p className="mt-2 text-xs text-slate-500">
              Changed together:{' '}
              {report.coChange
                .slice(0, 6)
                .map((c) => `${c.a} + ${c.b} (${c.together})`)
                .join(', ')}
            </p>
          )}
          {report.notes.map((note) => (
            <p key={note} className="mt-1 text-xs text-slate-500">
              {note}
            </p>
          ))}
        </>
      )}
    </section>
  );
}
