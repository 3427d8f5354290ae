/**
 * The Deacon at a glance: its mode, each patrol loop's rigs, cadence and last cycle, and
 * gate-evaluation latency against the seed's thresholds (patrol > 5 min, gates > 60 s).
 */
import type { DeaconStatus } from '@/contracts/town';
import { formatDuration } from '@/lib/format';

const PATROL_LIMIT_MS = 5 * 60_000;
const GATE_LIMIT_MS = 60_000;

function Value({ ms, limit, testId }: { ms: number | null; limit: number; testId?: string }) {
  if (ms === null) return <span className="text-slate-500">—</span>;
  return (
    <span className={ms > limit ? 'font-semibold text-rose-700 dark:text-rose-400' : ''} data-testid={testId}>
      {formatDuration(ms)}
    </span>
  );
}

export function DeaconPanel({ deacon }: { deacon: DeaconStatus }) {
  const loops = (deacon.mode === 'sequential' ? ['all'] : ['hot', 'warm', 'cold']) as Array<keyof DeaconStatus['loops']>;
  return (
    <section
      className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
      data-testid="deacon"
    >
      <header className="mb-2 flex items-baseline justify-between">
        <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-500">Deacon patrols</h2>
        <span className="text-xs text-slate-500">{deacon.mode}</span>
      </header>
      <table className="w-full text-sm">
        <thead className="text-left text-xs text-slate-500">
          <tr>
            <th className="font-normal">loop</th>
            <th className="font-normal">rigs</th>
            <th className="font-normal">every</th>
            <th className="font-normal">last cycle</th>
          </tr>
        </thead>
        <tbody>
          {loops.map((name) => {
            const loop = deacon.loops[name];
            return (
              <tr key={name} data-testid={`deacon-${name}`}>
                <td className="py-0.5 capitalize">{name === 'all' ? 'every rig' : name}</td>
                <td>{loop.rigs}</td>
                <td>{loop.intervalMs === null ? '—' : formatDuration(loop.intervalMs)}</td>
                <td>
                  <Value ms={loop.lastCycleMs} limit={PATROL_LIMIT_MS} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="mt-3 text-sm">
        Gate evaluation latency: last <Value ms={deacon.gateLatency.lastMs} limit={GATE_LIMIT_MS} />, p95{' '}
        <Value ms={deacon.gateLatency.p95Ms} limit={GATE_LIMIT_MS} />, max{' '}
        <Value ms={deacon.gateLatency.maxMs} limit={GATE_LIMIT_MS} />{' '}
        <span className="text-slate-500">(n={deacon.gateLatency.sample}, last hour)</span>
      </p>
    </section>
  );
}
