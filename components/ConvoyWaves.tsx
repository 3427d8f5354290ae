'use client';
/**
 * A convoy's waves over time: a Gantt-like bar per wave (dispatched -> landed, on the
 * engine's clock) and the table behind it, with each wave's rework and conflict rate
 * (with its sample). The wave gate is visible here: a wave's bar starts only after the
 * previous one's ends.
 */
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { WaveView } from '@/contracts/convoys';
import { engineClockLabel, formatDuration } from '@/lib/format';
import { clockAxisProps } from './clock-axis';
import { clockTime, Pill, RateText } from './ConvoyParts';

const BAR_COLOR: Record<WaveView['state'], string> = {
  held: '#475569',
  ready: '#a1a1aa',
  dispatched: '#38bdf8',
  landed: '#34d399',
};

const attempts = (w: Pick<WaveView, 'merged' | 'conflicts' | 'rejections'>) => w.merged + w.conflicts + w.rejections;

/** `timeScale`: the engine's; past 1 the axis says it is engine time. */
export function WaveTimelineChart({ waves, now, timeScale }: { waves: WaveView[]; now: number; timeScale: number | null }) {
  const started = waves.filter((w) => w.dispatchedAt !== null);
  if (started.length === 0) {
    return <p className="text-sm text-slate-500">No wave has started yet.</p>;
  }
  const clock = engineClockLabel(timeScale);
  const t0 = Math.min(...started.map((w) => w.dispatchedAt!));
  const data = waves.map((w) => ({
    name: `Wave ${w.index}`,
    state: w.state,
    // Seconds of engine time since the first wave started; a wave still running reaches "now".
    span: w.dispatchedAt === null ? null : [(w.dispatchedAt - t0) / 1000, ((w.landedAt ?? now) - t0) / 1000],
  }));
  return (
    <div className="w-full" style={{ height: (clock ? 42 : 36) + waves.length * 34 }} data-testid="wave-chart">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 0 }} barCategoryGap={6}>
          <CartesianGrid strokeDasharray="3 3" stroke="#33415555" horizontal={false} />
          <XAxis
            type="number"
            domain={[0, 'dataMax']}
            tickFormatter={(s: number) => formatDuration(s * 1000)}
            tick={{ fontSize: 11 }}
            stroke="#94a3b8"
            {...clockAxisProps(clock)}
          />
          <YAxis type="category" dataKey="name" width={64} tick={{ fontSize: 11 }} stroke="#94a3b8" />
          <Tooltip
            cursor={{ fill: '#1e293b' }}
            formatter={(value) => {
              const [a, b] = value as unknown as [number, number];
              return [`+${formatDuration(a * 1000)} → +${formatDuration(b * 1000)}`, 'engine time'];
            }}
            contentStyle={{ background: '#0f172a', border: '1px solid #334155', fontSize: 12 }}
          />
          <Bar dataKey="span" isAnimationActive={false} radius={3}>
            {data.map((d) => (
              <Cell key={d.name} fill={BAR_COLOR[d.state]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function WaveTable({ waves, now }: { waves: WaveView[]; now: number }) {
  if (waves.length === 0) {
    return (
      <p className="text-sm text-slate-500" data-testid="no-waves">
        Not dispatched yet: the convoy is held until you dispatch it.
      </p>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" data-testid="wave-table">
        <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="py-1 pr-3 font-medium">Wave</th>
            <th className="py-1 pr-3 font-medium">State</th>
            <th className="py-1 pr-3 text-right font-medium">Done</th>
            <th className="py-1 pr-3 font-medium">Dispatched</th>
            <th className="py-1 pr-3 font-medium">Landed</th>
            <th className="py-1 pr-3 text-right font-medium">Duration</th>
            <th className="py-1 pr-3 text-right font-medium" title="merged / conflicts / rejections">
              Merged · conf. · rej.
            </th>
            <th className="py-1 font-medium">Conflict rate</th>
          </tr>
        </thead>
        <tbody className="tabular-nums">
          {waves.map((w) => (
            <tr
              key={w.index}
              className="border-t border-slate-200 dark:border-slate-800"
              data-testid={`wave-row-${w.index}`}
              data-state={w.state}
              data-dispatched-at={w.dispatchedAt ?? ''}
              data-landed-at={w.landedAt ?? ''}
            >
              <td className="py-1.5 pr-3 font-medium">{w.index}</td>
              <td className="py-1.5 pr-3">
                <Pill status={w.state} testId={`wave-state-${w.index}`} />
              </td>
              <td className="py-1.5 pr-3 text-right">
                {w.done}/{w.beads}
              </td>
              <td className="py-1.5 pr-3" data-testid={`wave-dispatched-${w.index}`}>
                {w.dispatchedAt === null ? <span className="text-slate-500">—</span> : clockTime(w.dispatchedAt)}
              </td>
              <td className="py-1.5 pr-3" data-testid={`wave-landed-${w.index}`}>
                {w.landedAt === null ? <span className="text-slate-500">—</span> : clockTime(w.landedAt)}
              </td>
              <td className="py-1.5 pr-3 text-right">
                {w.dispatchedAt === null ? (
                  <span className="text-slate-500">—</span>
                ) : w.landedAt === null ? (
                  <span className="text-sky-700 dark:text-sky-300">{formatDuration(now - w.dispatchedAt)} so far</span>
                ) : (
                  formatDuration(w.landedAt - w.dispatchedAt)
                )}
              </td>
              <td className="py-1.5 pr-3 text-right">
                {w.merged} · <span className={w.conflicts ? 'text-amber-700 dark:text-amber-400' : ''}>{w.conflicts}</span> ·{' '}
                <span className={w.rejections ? 'text-rose-700 dark:text-rose-400' : ''}>{w.rejections}</span>
              </td>
              <td className="py-1.5">
                <RateText rate={w.conflictRate} sample={attempts(w)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
