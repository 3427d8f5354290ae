'use client';
/** The town overview: totals, live queue-depth chart and every rig with its polecats. */
import { ConnectionBadge, TimeScaleBadge } from './ConnectionBadge';
import { CostsTile } from './CostsPanel';
import { DeaconPanel } from './DeaconPanel';
import { EscalationsPanel } from './EscalationsPanel';
import { LandingChart } from './LandingChart';
import { MermaidDiagram } from './MermaidDiagram';
import { QueueDepthChart } from './QueueDepthChart';
import { RigCard } from './RigCard';
import { useTownStream } from './useTownStream';

export function TownOverview() {
  const { connection, overview, queue } = useTownStream();
  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <header className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-2xl font-bold tracking-tight">Gas Town Fleet</h1>
          <p className="text-sm text-slate-500">Town overview</p>
        </div>
        <div className="flex items-center gap-2 text-sm">
          {overview && <TimeScaleBadge timeScale={overview.timeScale} />}
          <ConnectionBadge connection={connection} />
        </div>
      </header>

      {!overview ? (
        <p className="text-slate-500" data-testid="loading">
          {connection === 'reconnecting' ? 'Town unavailable: reconnecting…' : 'Connecting to the town…'}
        </p>
      ) : (
        <>
          <section className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6" aria-label="Town totals">
            <Tile label="Polecats working" value={`${overview.totals.working}/${overview.totals.polecats}`} />
            <Tile label="Queue depth" value={overview.totals.queueDepth} testId="total-queue" />
            <Tile label="Merged" value={overview.totals.merged} testId="total-merged" />
            <Tile label="Conflicts" value={overview.totals.conflicts} testId="total-conflicts" />
            <Tile label="Reworked & landed" value={overview.totals.reworkedMerged} testId="total-reworked" />
            <Tile label="Open beads" value={overview.totals.openBeads} />
          </section>

          <EscalationsPanel escalations={overview.escalations} now={overview.now} />

          <div className="grid gap-4 lg:grid-cols-2">
            <section className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
              <h2 className="mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500">Merge-queue depth per rig</h2>
              <QueueDepthChart points={queue} rigs={overview.rigs.map((r) => r.name)} />
            </section>
            <section className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
              <h2 className="mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500">
                Landed and conflicted per 2 s sample
              </h2>
              <LandingChart points={queue} />
            </section>
          </div>

          <section
            className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
            aria-label="Rig partitions"
          >
            <h2 className="mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500">
              Rig partitions · town → rigs → Refineries → target branch
            </h2>
            <MermaidDiagram text={overview.partitionDiagram} label="Rig partition diagram" testId="partition-diagram" />
          </section>

          <div className="grid gap-4 lg:grid-cols-3">
            <div className="space-y-4">
              <CostsTile overview={overview} connection={connection} />
              <DeaconPanel deacon={overview.deacon} />
            </div>
            <section className="grid gap-4 lg:col-span-2 xl:grid-cols-2" aria-label="Rigs">
              {overview.rigs.length === 0 ? (
                <p className="text-slate-500">No rigs yet. Start with GT_DEMO=1 for a demo town.</p>
              ) : (
                overview.rigs
                  .filter((rig) => rig.status !== 'retired')
                  .map((rig) => <RigCard key={rig.name} rig={rig} now={overview.now} />)
              )}
            </section>
          </div>
        </>
      )}
    </main>
  );
}

function Tile({ label, value, testId }: { label: string; value: number | string; testId?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
      <div className="text-2xl font-semibold tabular-nums" data-testid={testId}>
        {value}
      </div>
      <div className="text-xs uppercase tracking-wide text-slate-500">{label}</div>
    </div>
  );
}
