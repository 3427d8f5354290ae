'use client';
/**
 * Runs side by side: the figures of every run in one table (with the seed's figure when a
 * run came from a scenario) and Recharts charts of the headline figures and of merge
 * queue depth over virtual time.
 */
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { LabFigures, LabSample, LabParams } from '@/contracts/lab';
import { formatSpan } from '@/lib/format';

export interface LabRun {
  id: number;
  name: string;
  params: LabParams;
  figures: LabFigures;
  series: LabSample[];
  wallMs: number;
  /** The seed's figure for this variant, when the run came from a scenario. */
  seedFigure?: string;
  metric?: string;
}

const COLORS = ['#38bdf8', '#f472b6', '#a3e635', '#fbbf24', '#c084fc', '#fb7185', '#2dd4bf', '#f97316'];
const TOOLTIP = { background: '#0f172a', border: '1px solid #334155', fontSize: 12 };

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(0)}%`);
const one = (v: number | null) => (v === null ? '–' : v.toFixed(1));
const dur = (ms: number | null) =>
  ms === null ? '–' : ms >= 90_000 ? `${(ms / 60_000).toFixed(1)} min` : `${Math.round(ms / 1000)} s`;

const ROWS: Array<{ label: string; show: (r: LabRun) => string }> = [
  { label: 'Seed says', show: (r) => (r.seedFigure ? `${r.seedFigure}${r.metric ? ` (${r.metric})` : ''}` : '–') },
  {
    label: 'Set-up',
    show: (r) =>
      `${r.params.rigs} rig${r.params.rigs === 1 ? '' : 's'}${r.params.split > 1 ? ` split ${r.params.split}` : ''} × ${r.params.polecatsPerRig} polecats, ${r.params.workers} worker${r.params.workers === 1 ? '' : 's'}, ${r.params.deaconMode}`,
  },
  { label: 'Conflict rate', show: (r) => `${pct(r.figures.conflictRate)} (n=${r.figures.attempts})` },
  { label: 'Merges / hour', show: (r) => one(r.figures.mergesPerHour) },
  { label: 'Queue depth mean / max', show: (r) => `${one(r.figures.queueDepth.mean)} / ${one(r.figures.queueDepth.max)}` },
  { label: 'Wait in queue p50', show: (r) => `${one(r.figures.timeInQueueMinutesP50)} min` },
  { label: 'Check failures', show: (r) => pct(r.figures.checkFailureRate) },
  { label: 'Deacon cycle (mean)', show: (r) => dur(r.figures.patrolCycleMs.mean) },
  { label: 'Hot-rig patrol gap p95', show: (r) => dur(r.figures.hotPatrolGapMs.p95) },
  {
    label: 'Convoy landed in',
    show: (r) => (r.figures.convoyLandedMs === null ? '–' : formatSpan(r.figures.convoyLandedMs)),
  },
  { label: 'Stalls detected', show: (r) => String(r.figures.stalls) },
  { label: 'Tokens', show: (r) => r.figures.tokens.toLocaleString('en-US') },
  { label: 'Virtual hours / wall', show: (r) => `${r.params.hours} h in ${(r.wallMs / 1000).toFixed(1)} s` },
];

export function LabCompare({ runs }: { runs: LabRun[] }) {
  const bars = runs.map((r) => ({
    name: r.name,
    conflict: r.figures.conflictRate === null ? 0 : Math.round(r.figures.conflictRate * 1000) / 10,
    merges: Math.round(r.figures.mergesPerHour * 10) / 10,
  }));
  return (
    <div className="space-y-6">
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm tabular-nums" data-testid="lab-compare">
          <thead className="text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th className="py-1 pr-4 font-medium">Figure</th>
              {runs.map((r, i) => (
                <th
                  key={r.id}
                  className="py-1 pr-4 font-medium"
                  style={{ color: COLORS[i % COLORS.length] }}
                  data-testid="lab-run-name"
                >
                  {r.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {ROWS.map((row) => (
              <tr key={row.label} className="border-t border-slate-200 dark:border-slate-800">
                <td className="py-1 pr-4 text-slate-500">{row.label}</td>
                {runs.map((r) => (
                  <td
                    key={r.id}
                    className="py-1 pr-4"
                    data-testid={`lab-cell-${row.label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`}
                  >
                    {row.show(r)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="grid gap-6 lg:grid-cols-2">
        <figure className="h-64" data-testid="lab-bars">
          <figcaption className="mb-1 text-xs uppercase tracking-wide text-slate-500">
            Conflict rate (%) and merges per hour
          </figcaption>
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={bars} margin={{ top: 8, right: 16, bottom: 24, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#33415555" />
              <XAxis dataKey="name" tick={{ fontSize: 11 }} stroke="#94a3b8" interval={0} />
              <YAxis tick={{ fontSize: 11 }} stroke="#94a3b8" />
              <Tooltip contentStyle={TOOLTIP} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <ReferenceLine
                y={40}
                stroke="#f43f5e"
                strokeDasharray="4 4"
                label={{ value: 'conflict alert 40%', fill: '#f43f5e', fontSize: 11, position: 'insideTopRight' }}
              />
              <Bar dataKey="conflict" name="conflict rate %" fill="#f472b6" isAnimationActive={false} />
              <Bar dataKey="merges" name="merges / h" fill="#38bdf8" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
        <figure className="h-64" data-testid="lab-queue-chart">
          <figcaption className="mb-1 text-xs uppercase tracking-wide text-slate-500">
            Deepest merge queue over virtual hours
          </figcaption>
          <ResponsiveContainer width="100%" height="100%">
            <LineChart margin={{ top: 8, right: 16, bottom: 0, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#33415555" />
              <XAxis
                dataKey="hours"
                type="number"
                domain={[0, 'dataMax']}
                tick={{ fontSize: 11 }}
                stroke="#94a3b8"
                tickFormatter={(h: number) => `${h.toFixed(0)} h`}
              />
              <YAxis
                allowDecimals={false}
                tick={{ fontSize: 11 }}
                stroke="#94a3b8"
                domain={[0, (max: number) => Math.max(6, max)]}
              />
              <Tooltip contentStyle={TOOLTIP} labelFormatter={(h) => `${Number(h).toFixed(1)} h`} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <ReferenceLine
                y={5}
                stroke="#f59e0b"
                strokeDasharray="4 4"
                label={{ value: 'split at 5+', fill: '#f59e0b', fontSize: 11, position: 'insideTopRight' }}
              />
              {runs.map((r, i) => (
                <Line
                  key={r.id}
                  data={r.series}
                  dataKey="maxRigQueue"
                  name={r.name}
                  type="stepAfter"
                  stroke={COLORS[i % COLORS.length]}
                  dot={false}
                  strokeWidth={2}
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </figure>
      </div>
    </div>
  );
}
