'use client';
/**
 * One metric over a chosen range, from the persisted series (10 s points for the last
 * hours, minute averages with their maximum for days): what a rule watches, before and
 * after it fired.
 */
import { useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type RangeResult, METRICS, type MetricName } from '@/contracts/metrics';
import { engineClockLabel } from '@/lib/format';
import { clockAxisProps } from './clock-axis';
import { PANEL, PANEL_TITLE, useFetched } from './AlertsShared';

const RANGES = ['1h', '6h', '24h', '7d', '30d'];
const INPUT =
  'rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100';

/** `timeScale`: the engine's; past 1 the time axis says it is on engine time. */
export function AlertsMetricChart({ timeScale }: { timeScale: number | null }) {
  const [metric, setMetric] = useState<MetricName>('queue_depth');
  const [rig, setRig] = useState('');
  const [range, setRange] = useState('1h');
  const perRig = METRICS[metric].scope === 'rig' && rig.trim() !== '';
  const url = `/api/metrics-series?metric=${metric}&range=${range}&maxPoints=240${perRig ? `&rig=${encodeURIComponent(rig.trim())}` : ''}`;
  const { data, error } = useFetched<RangeResult>(url, null);
  const long = range.endsWith('d');
  const clock = engineClockLabel(timeScale);
  const label = (at: number) =>
    new Date(at).toLocaleString(
      [],
      long ? { month: 'short', day: 'numeric', hour: '2-digit' } : { hour: '2-digit', minute: '2-digit' },
    );
  return (
    <section className={PANEL} aria-label="Metric over time" data-testid="alerts-metric-chart">
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <h2 className={`${PANEL_TITLE.replace('mb-3 ', '')} mr-auto`}>Metric over time</h2>
        <select
          className={INPUT}
          value={metric}
          onChange={(e) => setMetric(e.target.value as MetricName)}
          aria-label="chart metric"
        >
          {(Object.keys(METRICS) as MetricName[]).map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        {METRICS[metric].scope === 'rig' && (
          <input
            className={`${INPUT} w-36`}
            value={rig}
            onChange={(e) => setRig(e.target.value)}
            placeholder="all rigs (town)"
            aria-label="chart rig"
          />
        )}
        <select className={INPUT} value={range} onChange={(e) => setRange(e.target.value)} aria-label="chart range">
          {RANGES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </div>
      <p className="mb-2 text-xs text-slate-500">
        {METRICS[metric].help}
        {data &&
          ` · ${data.points.length} points of ${Math.round(data.stepMs / 1000)} s (${data.resolutionMs === 10_000 ? 'raw 10 s samples' : 'minute averages'})`}
      </p>
      {error ? (
        <p className="text-sm text-rose-700 dark:text-rose-400">Series unavailable: {error}</p>
      ) : !data ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : data.points.length === 0 ? (
        <p className="text-sm text-slate-500">No samples in this range yet.</p>
      ) : (
        <div className="h-56 w-full" data-testid="metric-chart" data-points={data.points.length}>
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data.points} margin={{ top: 8, right: 16, bottom: 0, left: -8 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#33415555" />
              <XAxis
                dataKey="at"
                type="number"
                domain={['dataMin', 'dataMax']}
                tickFormatter={label}
                tick={{ fontSize: 11 }}
                stroke="#94a3b8"
                {...clockAxisProps(clock)}
              />
              <YAxis tick={{ fontSize: 11 }} stroke="#94a3b8" />
              <Tooltip
                labelFormatter={(at) => `${new Date(Number(at)).toLocaleString()}${clock ? ` · ${clock}` : ''}`}
                contentStyle={{ background: '#0f172a', border: '1px solid #334155', fontSize: 12 }}
              />
              <Line
                type="linear"
                dataKey="value"
                name="average"
                stroke="#38bdf8"
                dot={false}
                isAnimationActive={false}
                strokeWidth={2}
                connectNulls
              />
              <Line
                type="linear"
                dataKey="max"
                name="max"
                stroke="#f472b6"
                dot={false}
                isAnimationActive={false}
                strokeWidth={1}
                strokeDasharray="3 3"
                connectNulls
              />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </section>
  );
}
