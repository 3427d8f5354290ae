'use client';
/**
 * The seed's four metrics over a chosen range, from the persisted series (10 s samples,
 * minute averages beyond six hours): merge-queue depth per rig, conflict rate, patrol
 * latency and throughput. Refetched as the town moves (every `refreshKey` change, at
 * most every few seconds), so the charts stay live without a reload. A rig retired by a
 * split or merge in the range keeps its (dashed) line up to its retirement, where the
 * sampler's last point drops it to its true 0; a chart with nothing to draw says why
 * ("n too small" is not "no data").
 */
import { useEffect, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { engineClockLabel } from '@/lib/format';
import { clockAxisProps } from './clock-axis';
import type { RangeResult } from '@/contracts/metrics';
import type { RigLineage } from '@/contracts/records';

const RANGES = ['15m', '1h', '6h', '24h', '7d'] as const;
const RANGE_MS: Record<(typeof RANGES)[number], number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
};
const COLORS = ['#38bdf8', '#f472b6', '#a3e635', '#fbbf24', '#c084fc', '#fb7185', '#2dd4bf', '#f97316'];
/** Refetch at most this often, however fast the town pushes. */
const MIN_REFRESH_MS = 5_000;
/** Beyond this many rigs the per-rig chart shows the busiest ones. */
const MAX_RIG_LINES = 8;

type Series = Record<string, RangeResult>;

async function series(metric: string, range: string, rig?: string): Promise<RangeResult> {
  const q = new URLSearchParams({ metric, range, maxPoints: '180', ...(rig ? { rig } : {}) });
  const res = await fetch(`/api/metrics-series?${q}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json() as Promise<RangeResult>;
}

/**
 * Loads the charts' series: at once for a new range or set of rigs, again when `refreshKey`
 * moves (throttled), one load at a time. A load in flight is not dropped because the town
 * moved meanwhile: at a fast time scale the town moves more often than a load of a split
 * town's series takes, and dropping them froze the charts at what they showed first.
 */
function useSeries(range: string, rigs: string[], refreshKey: unknown) {
  const [data, setData] = useState<{ rigs: Series; town: Series } | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** The last load: when, of what, and at which `refreshKey` (nothing moved since: nothing to load). */
  const last = useRef<{ at: number; key: string; refresh: unknown }>({ at: 0, key: '', refresh: undefined });
  const loading = useRef(false);
  const wanted = useRef('');
  const rigKey = rigs.join(',');
  const key = `${range}|${rigKey}`;
  const [tick, setTick] = useState(0);
  useEffect(() => {
    wanted.current = key;
  }, [key]);
  useEffect(() => {
    const same = last.current.key === key;
    if (same && last.current.refresh === refreshKey) return;
    const wait = same ? last.current.at + MIN_REFRESH_MS - Date.now() : 0;
    if (loading.current || wait > 0) {
      const timer = setTimeout(() => setTick((t) => t + 1), Math.max(wait, 250));
      return () => clearTimeout(timer);
    }
    loading.current = true;
    last.current = { at: Date.now(), key, refresh: refreshKey };
    const names = rigKey ? rigKey.split(',') : [];
    Promise.all([
      Promise.all(names.map((r) => series('queue_depth', range, r))),
      Promise.all(['conflict_rate', 'patrol_duration', 'throughput'].map((m) => series(m, range))),
    ])
      .then(
        ([perRig, town]) => {
          if (wanted.current !== key) return; // another range or set of rigs is wanted now
          setData({
            rigs: Object.fromEntries(names.map((r, i) => [r, perRig[i]])),
            town: Object.fromEntries(town.map((s) => [s.metric, s])),
          });
          setError(null);
        },
        (err: unknown) => wanted.current === key && setError(err instanceof Error ? err.message : 'unavailable'),
      )
      .finally(() => {
        loading.current = false;
      });
  }, [key, range, rigKey, refreshKey, tick]);
  return { data, error };
}

const INPUT =
  'rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100';

interface ChartRig {
  name: string;
  queueDepth: number;
  status: string;
  lineage: RigLineage | null;
}

/** `now`: engine time, which the series are in. */
export function TownCharts({
  rigs,
  now,
  timeScale,
}: {
  rigs: ChartRig[];
  now: number;
  /** The engine's time scale: past 1 the time axes say they are on engine time. */
  timeScale: number | null;
}) {
  const [range, setRange] = useState<(typeof RANGES)[number]>('1h');
  const active = rigs.filter((r) => r.status !== 'retired');
  // Retired within the range: their history is part of what the range shows.
  const retired = new Set(
    rigs.filter((r) => r.status === 'retired' && (r.lineage?.at ?? 0) >= now - RANGE_MS[range]).map((r) => r.name),
  );
  // The busiest rigs get lines, then the recently retired; the order is stable so colours do not jump.
  const shown = [
    ...[...active].sort((a, b) => b.queueDepth - a.queueDepth || a.name.localeCompare(b.name)),
    ...rigs.filter((r) => retired.has(r.name)),
  ]
    .slice(0, MAX_RIG_LINES)
    .map((r) => r.name)
    .sort();
  const { data, error } = useSeries(range, shown, now);
  const long = range.endsWith('d') || range === '24h';
  const tick = (at: number) =>
    new Date(at).toLocaleString(
      [],
      long ? { month: 'short', day: 'numeric', hour: '2-digit' } : { hour: '2-digit', minute: '2-digit' },
    );

  const clock = engineClockLabel(timeScale);

  const queueRows = data ? merge(shown.map((r) => [r, data.rigs[r]?.points ?? []])) : [];
  const note = (metric: string) => (data ? (data.town[metric]?.note ?? null) : null);
  const townRows = (metric: string, scale = 1) =>
    (data?.town[metric]?.points ?? []).map((p) => ({ at: p.at, value: p.value === null ? null : p.value * scale }));

  return (
    <section
      className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
      aria-label="Town metrics over time"
    >
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <h2 className="mr-auto text-sm font-semibold uppercase tracking-wide text-slate-500">The seed’s four metrics</h2>
        <label className="text-sm text-slate-500">
          Range{' '}
          <select
            className={INPUT}
            value={range}
            onChange={(e) => setRange(e.target.value as typeof range)}
            data-testid="chart-range"
          >
            {RANGES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
      </div>
      {error && <p className="mb-2 text-sm text-rose-600 dark:text-rose-400">Series unavailable: {error}; retrying.</p>}
      <div className="grid gap-4 lg:grid-cols-2">
        <Chart
          title={`Merge-queue depth per rig${active.length + retired.size > MAX_RIG_LINES ? ` (busiest ${MAX_RIG_LINES})` : ''}`}
          testId="queue-depth-chart"
          points={queueRows.length}
        >
          <LineChart data={queueRows} margin={{ top: 8, right: 16, bottom: 0, left: -16 }}>
            {axes(tick, clock)}
            <YAxis
              allowDecimals={false}
              tick={{ fontSize: 11 }}
              stroke="#94a3b8"
              domain={[0, (max: number) => Math.max(6, max)]}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <ReferenceLine
              y={5}
              stroke="#f59e0b"
              strokeDasharray="4 4"
              label={{ value: 'split at 5+', fill: '#f59e0b', fontSize: 11, position: 'insideTopRight' }}
            />
            {shown.map((rig, i) => (
              <Line
                key={rig}
                type="stepAfter"
                dataKey={rig}
                name={retired.has(rig) ? `${rig} (retired)` : rig}
                strokeDasharray={retired.has(rig) ? '5 3' : undefined}
                stroke={COLORS[i % COLORS.length]}
                dot={false}
                isAnimationActive={false}
                strokeWidth={2}
                connectNulls
              />
            ))}
          </LineChart>
        </Chart>
        <Chart
          title="Conflict rate, % of merge attempts"
          testId="conflict-rate-chart"
          points={townRows('conflict_rate').length}
          note={note('conflict_rate')}
        >
          <LineChart data={townRows('conflict_rate', 100)} margin={{ top: 8, right: 16, bottom: 0, left: -16 }}>
            {axes(tick, clock)}
            <YAxis tick={{ fontSize: 11 }} stroke="#94a3b8" domain={[0, 100]} />
            <ReferenceLine
              y={40}
              stroke="#f43f5e"
              strokeDasharray="4 4"
              label={{ value: 'alert 40%', fill: '#f43f5e', fontSize: 11, position: 'insideTopRight' }}
            />
            <ReferenceLine
              y={20}
              stroke="#f59e0b"
              strokeDasharray="4 4"
              label={{ value: 'stagger 20%', fill: '#f59e0b', fontSize: 11, position: 'insideBottomRight' }}
            />
            <Line
              type="linear"
              dataKey="value"
              name="conflict rate"
              stroke="#f472b6"
              dot={false}
              isAnimationActive={false}
              strokeWidth={2}
              connectNulls
            />
          </LineChart>
        </Chart>
        <Chart
          title="Deacon patrol cycle, seconds"
          testId="patrol-chart"
          points={townRows('patrol_duration').length}
          note={note('patrol_duration')}
        >
          <LineChart data={townRows('patrol_duration')} margin={{ top: 8, right: 16, bottom: 0, left: -16 }}>
            {axes(tick, clock)}
            <YAxis tick={{ fontSize: 11 }} stroke="#94a3b8" />
            <ReferenceLine
              y={300}
              stroke="#f43f5e"
              strokeDasharray="4 4"
              label={{ value: 'alert 5 min', fill: '#f43f5e', fontSize: 11, position: 'insideTopRight' }}
            />
            <Line
              type="linear"
              dataKey="value"
              name="patrol"
              stroke="#a3e635"
              dot={false}
              isAnimationActive={false}
              strokeWidth={2}
              connectNulls
            />
          </LineChart>
        </Chart>
        <Chart
          title="Throughput, merges landed per hour"
          testId="throughput-chart"
          points={townRows('throughput').length}
          note={note('throughput')}
        >
          <LineChart data={townRows('throughput')} margin={{ top: 8, right: 16, bottom: 0, left: -16 }}>
            {axes(tick, clock)}
            <YAxis allowDecimals={false} tick={{ fontSize: 11 }} stroke="#94a3b8" />
            <Line
              type="linear"
              dataKey="value"
              name="per hour"
              stroke="#38bdf8"
              dot={false}
              isAnimationActive={false}
              strokeWidth={2}
              connectNulls
            />
          </LineChart>
        </Chart>
      </div>
    </section>
  );
}

/** The time axis and tooltip, saying which clock they are on when it is not the wall clock. */
function axes(tick: (at: number) => string, clock: string | null) {
  return [
    <CartesianGrid key="grid" strokeDasharray="3 3" stroke="#33415555" />,
    <XAxis
      key="x"
      dataKey="at"
      type="number"
      domain={['dataMin', 'dataMax']}
      tickFormatter={tick}
      tick={{ fontSize: 11 }}
      stroke="#94a3b8"
      {...clockAxisProps(clock)}
    />,
    <Tooltip
      key="tip"
      labelFormatter={(at) => `${new Date(Number(at)).toLocaleString()}${clock ? ` · ${clock}` : ''}`}
      contentStyle={{ background: '#0f172a', border: '1px solid #334155', fontSize: 12, color: '#e2e8f0' }}
    />,
  ];
}

/** `note`: the series' reason it has nothing to draw (RangeResult.note), shown instead of empty axes. */
function Chart({
  title,
  testId,
  points,
  note = null,
  children,
}: {
  title: string;
  testId: string;
  points: number;
  note?: string | null;
  children: React.ReactElement;
}) {
  const empty = points === 0 ? (note ?? 'No samples in this range yet.') : note;
  return (
    <figure>
      <figcaption className="mb-1 text-xs uppercase tracking-wide text-slate-500">{title}</figcaption>
      <div className="h-52 w-full" data-testid={testId} data-points={points}>
        {empty ? (
          <p className="px-4 pt-16 text-center text-sm text-slate-500">{empty}</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            {children}
          </ResponsiveContainer>
        )}
      </div>
    </figure>
  );
}

/** One row per timestamp with a column per rig. */
function merge(series: Array<[string, RangeResult['points']]>): Array<Record<string, number | null>> {
  const rows = new Map<number, Record<string, number | null>>();
  for (const [rig, points] of series) {
    for (const p of points) {
      const row = rows.get(p.at) ?? { at: p.at };
      row[rig] = p.value;
      rows.set(p.at, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.at! - b.at!);
}
