'use client';
/** Merge-queue depth per rig over time (Recharts), with the seed's split threshold of 5. */
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { QueuePoint } from '@/server/metrics/queue-series';

const COLORS = ['#38bdf8', '#f472b6', '#a3e635', '#fbbf24', '#c084fc', '#fb7185', '#2dd4bf', '#f97316'];

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function QueueDepthChart({ points, rigs }: { points: QueuePoint[]; rigs: string[] }) {
  const data = points.map((p) => ({ at: p.at, ...p.depth }));
  return (
    <div className="h-64 w-full" data-testid="queue-depth-chart" data-points={points.length}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#33415555" />
          <XAxis
            dataKey="at"
            type="number"
            domain={['dataMin', 'dataMax']}
            tickFormatter={time}
            tick={{ fontSize: 11 }}
            stroke="#94a3b8"
          />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} stroke="#94a3b8" domain={[0, (max: number) => Math.max(6, max)]} />
          <Tooltip
            labelFormatter={(at) => time(Number(at))}
            contentStyle={{ background: '#0f172a', border: '1px solid #334155', fontSize: 12 }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <ReferenceLine
            y={5}
            stroke="#f59e0b"
            strokeDasharray="4 4"
            label={{ value: 'split at 5+', fill: '#f59e0b', fontSize: 11, position: 'insideTopRight' }}
          />
          {rigs.map((rig, i) => (
            <Line
              key={rig}
              type="stepAfter"
              dataKey={rig}
              stroke={COLORS[i % COLORS.length]}
              dot={false}
              isAnimationActive={false}
              strokeWidth={2}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
