/** One rig: its polecats by state, its queue and its Refinery's record; its name opens the rig's page. */
import Link from 'next/link';
import { BeadLink } from './BeadLink';
import type { PolecatState } from '@/contracts/records';
import type { RigView } from '@/contracts/town';

export const STATE_STYLE: Record<PolecatState, string> = {
  idle: 'bg-slate-700 text-slate-300',
  working: 'bg-sky-700 text-white',
  submitted: 'bg-violet-600 text-white',
  reworking: 'bg-amber-500 text-slate-950',
  throttled: 'bg-orange-700 text-white',
  stalled: 'bg-rose-600 text-white',
};

export function RigCard({ rig, now }: { rig: RigView; now: number }) {
  return (
    // A size container: the polecat list takes two columns only when the card itself is wide
    // enough (a 20-rig town puts cards of ~400 px side by side, where two columns cut every
    // polecat's bead and time in state off). `content-visibility: auto`: the browser lays out
    // and paints only the cards on screen; a 20-rig overview's first layout took 110-190 ms
    // with every card, 50-120 ms without the off-screen ones (docs/benchmarks.md, page timing).
    <section
      className="@container rounded-lg border border-slate-200 bg-white p-4 [contain-intrinsic-size:auto_340px] [content-visibility:auto] dark:border-slate-800 dark:bg-slate-900"
      data-testid={`rig-${rig.name}`}
    >
      <header className="mb-3 flex items-baseline justify-between gap-2">
        <h3 className="font-mono text-base font-semibold">
          <Link
            href={`/rigs/${encodeURIComponent(rig.name)}`}
            className="text-sky-700 underline-offset-4 hover:underline dark:text-sky-300"
            data-testid={`rig-link-${rig.name}`}
          >
            {rig.name}
          </Link>
        </h3>
        <span className="text-xs text-slate-500">
          {rig.status} · {rig.tier} tier · {rig.workersBusy}/{rig.refineryWorkers} workers busy
        </span>
      </header>
      <dl className="mb-3 grid grid-cols-4 gap-2 text-center text-sm">
        <Stat label="queue" value={rig.queueDepth} warn={rig.queueDepth >= 5} testId={`rig-${rig.name}-queue`} />
        <Stat label="merged" value={rig.merged} testId={`rig-${rig.name}-merged`} />
        <Stat label="conflicts" value={rig.conflicts} />
        <Stat label="reworked" value={rig.reworkedMerged} />
      </dl>
      <ul className="grid grid-cols-1 gap-1 @lg:grid-cols-2">
        {rig.polecats.map((p) => (
          <li key={p.id} className="flex items-center gap-2 text-xs" data-testid={`polecat-${p.name}`}>
            <span className={`w-20 shrink-0 rounded px-1.5 py-0.5 text-center font-medium ${STATE_STYLE[p.state]}`}>
              {p.state}
            </span>
            <span className="shrink-0 font-mono">{p.name}</span>
            {p.health !== 'ok' && (
              <span
                className="h-2 w-2 shrink-0 rounded-full bg-rose-500"
                title={`${p.health} (Witness strike ${p.strikes})`}
                aria-label={p.health}
              />
            )}
            <span className="truncate text-slate-500" title={p.beadTitle ?? ''}>
              {p.beadId && (
                <>
                  <BeadLink id={p.beadId} />
                  {` · ${Math.max(0, Math.round((now - p.stateSince) / 1000))}s`}
                </>
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Stat({ label, value, warn, testId }: { label: string; value: number; warn?: boolean; testId?: string }) {
  return (
    <div className={`rounded bg-slate-100 p-2 dark:bg-slate-800 ${warn ? 'ring-2 ring-amber-500' : ''}`}>
      <dd className="text-lg font-semibold tabular-nums" data-testid={testId}>
        {value}
      </dd>
      <dt className="text-[11px] uppercase tracking-wide text-slate-500">{label}</dt>
    </div>
  );
}
