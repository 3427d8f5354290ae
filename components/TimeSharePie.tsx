'use client';
/**
 * Where the fleet's time went, measured (server/fleet/time-ledger.ts), as the seed draws
 * it: a pie, with the seed's own shares beside the measured ones.
 */
import { Cell, Pie, PieChart, ResponsiveContainer, Tooltip } from 'recharts';
import type { TimeShareView } from '@/contracts/town';
import { formatDuration } from '@/lib/format';

const COLORS = { agents: '#38bdf8', git: '#a3e635', checks: '#fbbf24', coordination: '#f472b6' } as const;
const pct = (share: number | null) => (share === null ? '—' : `${Math.round(share * 100)}%`);

export function TimeSharePie({ share, now }: { share: TimeShareView | null; now: number }) {
  const total = share?.categories.reduce((n, c) => n + c.ms, 0) ?? 0;
  return (
    <section
      className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
      aria-label="Where the time goes"
      data-testid="time-share"
    >
      <h2 className="mb-1 text-sm font-semibold uppercase tracking-wide text-slate-500">Where the fleet’s time goes</h2>
      {!share || total === 0 ? (
        <p className="text-sm text-slate-500">Nothing measured yet.</p>
      ) : (
        <>
          <p className="mb-2 text-xs text-slate-500">
            Measured since the server started ({formatDuration(now - share.since)} of town time); work done in parallel adds up.
          </p>
          <div className="flex items-center gap-3">
            <div className="h-32 w-32 shrink-0">
              <ResponsiveContainer width="100%" height="100%">
                <PieChart>
                  <Pie
                    data={share.categories}
                    dataKey="ms"
                    nameKey="label"
                    innerRadius="45%"
                    outerRadius="100%"
                    isAnimationActive={false}
                    stroke="none"
                  >
                    {share.categories.map((c) => (
                      <Cell key={c.key} fill={COLORS[c.key]} />
                    ))}
                  </Pie>
                  <Tooltip
                    formatter={(ms) => formatDuration(Number(ms))}
                    contentStyle={{ background: '#0f172a', border: '1px solid #334155', fontSize: 12, color: '#e2e8f0' }}
                  />
                </PieChart>
              </ResponsiveContainer>
            </div>
            <table className="w-full text-sm">
              <thead className="text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th className="text-left font-medium" />
                  <th className="pl-3 text-right font-medium">Measured</th>
                  <th className="pl-3 text-right font-medium">Seed</th>
                </tr>
              </thead>
              <tbody className="tabular-nums">
                {share.categories.map((c) => (
                  <tr key={c.key} data-testid={`time-share-${c.key}`}>
                    <td>
                      <span className="mr-1.5 inline-block h-2.5 w-2.5 rounded-sm" style={{ background: COLORS[c.key] }} />
                      {c.label}
                    </td>
                    <td className="text-right">{pct(c.share)}</td>
                    <td className="text-right text-slate-500">{pct(c.seedShare)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
