'use client';
/**
 * The town overview: the seed's numbers as tiles, the four metrics over time, the rig
 * partitions and patrol tiers as live diagrams, the scale tier, where time and disk go,
 * and every rig with its polecats. Live over the socket; never needs a reload.
 */
import { useState, type ReactNode } from 'react';
import { formatDuration } from '@/lib/format';
import { AddRigButton, AddRigDialog } from './AddRigDialog';
import { ConnectionBadge, TimeScaleBadge } from './ConnectionBadge';
import { CostsTile } from './CostsPanel';
import { DeaconPanel } from './DeaconPanel';
import { DiskUsagePanel } from './DiskUsagePanel';
import { EscalationsPanel } from './EscalationsPanel';
import { MermaidDiagram } from './MermaidDiagram';
import { RigCard } from './RigCard';
import { ScaleTierPanel } from './ScaleTierPanel';
import { TimeSharePie } from './TimeSharePie';
import { TownCharts } from './TownCharts';
import { useTownStream } from './useTownStream';
import type { TownOverview as TownOverviewView } from '@/contracts/town';
import type { UnavailableRigView } from '@/contracts/cluster';
import { MIN_RATE_SAMPLE } from '@/contracts/metrics';

const PANEL = 'rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900';
const PANEL_TITLE = 'mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500';

export function TownOverview({ initial = null }: { initial?: TownOverviewView | null }) {
  const { connection, overview } = useTownStream(initial);
  const rigs = overview?.rigs.filter((r) => r.status !== 'retired') ?? [];
  // In a cluster: rigs whose node cannot answer just now are still the town's, not "no rigs".
  const unavailable = overview?.unavailableRigs ?? [];
  const [addingRig, setAddingRig] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const openAddRig = () => setAddingRig(true);
  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <header className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-2xl font-bold tracking-tight">Gas Town Fleet</h1>
          <p className="text-sm text-slate-500">Town overview</p>
        </div>
        <div className="flex items-center gap-2 text-sm">
          {added && (
            <span role="status" className="text-emerald-700 dark:text-emerald-400" data-testid="add-rig-done">
              {added}
            </span>
          )}
          {overview && rigs.length > 0 && <AddRigButton onOpen={openAddRig} />}
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
          {rigs.length === 0 && unavailable.length === 0 && <NoRigs onAddRig={openAddRig} />}
          {unavailable.length > 0 && <UnavailableRigs rigs={unavailable} />}
          {addingRig && (
            <AddRigDialog
              onClose={() => setAddingRig(false)}
              onAdded={(message) => {
                setAddingRig(false);
                setAdded(message);
              }}
            />
          )}

          <Tiles overview={overview} />

          <EscalationsPanel escalations={overview.escalations} now={overview.now} />

          <TownCharts rigs={overview.rigs} now={overview.now} timeScale={overview.timeScale} />

          <div className="grid gap-4 lg:grid-cols-3">
            <section className={`${PANEL} lg:col-span-2`} aria-label="Rig partitions">
              <h2 className={PANEL_TITLE}>Rig partitions · town → rigs → Refineries → target branch</h2>
              <MermaidDiagram text={overview.partitionDiagram} label="Rig partition diagram" testId="partition-diagram" />
            </section>
            {/* As tall as its diagram, not as the partition diagram beside it (a tall row left it two thirds empty). */}
            <section className={`${PANEL} self-start`} aria-label="Patrol tiers">
              <h2 className={PANEL_TITLE}>Deacon patrols · {overview.deacon.mode}</h2>
              <MermaidDiagram text={overview.patrolDiagram} label="Tiered patrol diagram" testId="patrol-diagram" />
            </section>
          </div>

          <div className="grid gap-4 lg:grid-cols-3">
            <ScaleTierPanel scale={overview.fleet.scale} />
            <TimeSharePie share={overview.fleet.timeShare} now={overview.now} />
            <div className="space-y-4">
              <CostsTile overview={overview} connection={connection} />
              <DiskUsagePanel rigs={rigs} />
            </div>
          </div>

          <div className="grid gap-4 lg:grid-cols-3">
            <div className="space-y-4">
              <DeaconPanel deacon={overview.deacon} />
            </div>
            <section className="grid gap-4 lg:col-span-2 xl:grid-cols-2" aria-label="Rigs">
              {rigs.length === 0
                ? unavailable.length === 0 && <p className="text-slate-500">No rigs yet.</p>
                : rigs.map((rig) => <RigCard key={rig.name} rig={rig} now={overview.now} />)}
            </section>
          </div>
        </>
      )}
    </main>
  );
}

/** Rigs of the town no node answered for just now (their node down, a failover under way). */
function UnavailableRigs({ rigs }: { rigs: UnavailableRigView[] }) {
  return (
    <section
      className="rounded-lg border border-amber-400 bg-amber-50 p-4 text-sm dark:border-amber-700 dark:bg-amber-950"
      aria-label="Unavailable rigs"
      data-testid="unavailable-rigs"
    >
      <h2 className="mb-1 font-medium">
        {rigs.length} rig{rigs.length === 1 ? '' : 's'} unavailable just now
      </h2>
      <ul className="space-y-1">
        {rigs.map((r) => (
          <li key={r.name}>
            <span className="font-mono font-semibold">{r.name}</span>
            {r.node && <span className="text-slate-600 dark:text-slate-300"> · node {r.node}</span>}: {r.reason}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The empty town's first screen: what to do next, above everything else. */
function NoRigs({ onAddRig }: { onAddRig: () => void }) {
  return (
    <section
      className="space-y-3 rounded-lg border border-dashed border-slate-300 p-6 dark:border-slate-700"
      data-testid="no-rigs"
    >
      <h2 className="font-medium">No rigs yet.</h2>
      <p className="text-sm text-slate-500">
        Add your repository: the town clones it and its polecats land work on its target branch. Or start the server with
        GT_DEMO=1 for a demo town.
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <AddRigButton primary onOpen={onAddRig} />
      </div>
    </section>
  );
}

function Tiles({ overview }: { overview: NonNullable<ReturnType<typeof useTownStream>['overview']> }) {
  const { fleet, totals, deacon } = overview;
  const rate = fleet.conflictRate;
  const patrol = deacon.lastPatrolDurationMs;
  return (
    <section className="grid grid-cols-2 gap-3 sm:grid-cols-4 xl:grid-cols-8" aria-label="Town totals">
      <Tile
        label="Polecats working"
        value={`${fleet.polecats.working}/${totals.polecats}`}
        testId="total-working"
        detail={`${fleet.polecats.submitted} submitted · ${fleet.polecats.throttled} throttled · ${fleet.polecats.stalled} stalled`}
        warn={fleet.polecats.stalled > 0 || fleet.polecats.unhealthy > 0}
      />
      <Tile label="Queue depth" value={totals.queueDepth} testId="total-queue" detail="all rigs" />
      <Tile
        label="Worst patrol"
        value={patrol === null ? '—' : formatDuration(patrol)}
        testId="total-patrol"
        detail="Deacon cycle"
        warn={patrol !== null && patrol > 5 * 60_000}
      />
      <Tile
        label="Conflict rate"
        value={rate.rate === null ? '—' : `${Math.round(rate.rate * 100)}%`}
        testId="total-conflict-rate"
        detail={`n=${rate.sample} attempts${rate.sample > 0 && rate.sample < MIN_RATE_SAMPLE ? ' · n too small' : ''}`}
        warn={rate.rate !== null && rate.sample >= MIN_RATE_SAMPLE && rate.rate > 0.2}
      />
      <Tile
        label="Completions / h"
        value={fleet.completionsPerHour ?? 'n too small'}
        testId="total-throughput"
        detail={`${fleet.completions.landed} landed · ${
          fleet.completions.observedMs < fleet.completions.windowMs
            ? `over ${formatDuration(fleet.completions.observedMs)} of ${formatDuration(fleet.completions.windowMs)}`
            : `window ${formatDuration(fleet.completions.windowMs)}`
        }`}
      />
      <Tile label="Merged" value={totals.merged} testId="total-merged" />
      <Tile label="Conflicts" value={totals.conflicts} testId="total-conflicts" />
      <Tile label="Reworked & landed" value={totals.reworkedMerged} testId="total-reworked" />
    </section>
  );
}

function Tile({
  label,
  value,
  testId,
  detail,
  warn,
}: {
  label: string;
  value: ReactNode;
  testId?: string;
  detail?: string;
  warn?: boolean;
}) {
  return (
    <div className={`${PANEL.replace('p-4', 'p-3')} ${warn ? 'ring-2 ring-amber-500' : ''}`}>
      <div className="text-2xl font-semibold tabular-nums" data-testid={testId}>
        {value}
      </div>
      <div className="text-xs uppercase tracking-wide text-slate-500">{label}</div>
      {detail && <div className="text-xs text-slate-500">{detail}</div>}
    </div>
  );
}
