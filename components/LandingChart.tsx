'use client';
/** Merges landed and conflicts per sample interval (Recharts): the Refinery's pulse. */
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { QueuePoint } from '@/server/metrics/queue-series';

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Per-interval counts from the running totals; the first point has no interval before it. */
export function perInterval(points: QueuePoint[]) {
  return points.slice(1).map((p, i) => ({
    at: p.at,
    merged: Math.max(0, p.merged - points[i].merged),
    conflicts: Math.max(0, p.conflicts - points[i].conflicts),
  }));
}

export function LandingChart({ points }: { points: QueuePoint[] }) {
  return (
    <div className="h-48 w-full" data-testid="landing-chart">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={perInterval(points)} margin={{ top: 8, right: 16, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#33415555" />
          <XAxis dataKey="at" tickFormatter={time} tick={{ fontSize: 11 }} stroke="#94a3b8" minTickGap={40} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} stroke="#94a3b8" />
          <Tooltip
            labelFormatter={(at) => time(Number(at))}
            contentStyle={{ background: '#0f172a', border: '1px solid #334155', fontSize: 12 }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="merged" stackId="a" fill="#34d399" isAnimationActive={false} />
          <Bar dataKey="conflicts" stackId="a" fill="#f59e0b" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
