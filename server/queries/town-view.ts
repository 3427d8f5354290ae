/**
 * Read models: what the pages, the JSON API and the CLI show (their shapes are
 * contracts/town.ts). Plain JSON, derived from the engine on demand; nothing here
 * changes state.
 */
import { describeAgent } from '../agents/presets';
import os from 'node:os';
import path from 'node:path';
import { scaleTier } from './scale-tier';
import type { Escalation, PolecatState } from '../../contracts/records';
import type {
  DeaconStatus,
  MergeQueueView,
  PolecatView,
  RefineryStatsView,
  RigView,
  TimeShareView,
  TownOverview,
} from '../../contracts/town';
import type { UnavailableRigView } from '../../contracts/cluster';
import { describeScope, partitionDiagram, patrolDiagram, type NodeGroup, type PatrolLoop } from './diagrams';

/** Measurements taken outside the engine (server/fleet), when the server has them. */
export interface FleetReadings {
  timeShare(): TimeShareView;
  /** Bytes of a rig's worktrees at the last measurement; null before it. */
  diskBytes(rig: string): number | null;
  /** In a cluster: its nodes and their rigs at the last heartbeat (cluster/duties.ts); null on one server. */
  nodes?(): NodeGroup[] | null;
}
import type { Town } from '../engine/town';
import { MIN_RATE_SAMPLE } from '../engine/refinery-stats';

/** This machine, read once: `os.cpus()` reads /proc, and the overview is rebuilt on every event burst. */
const MACHINE = { cores: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30) };

const oneDecimal = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);
/** Working as `gt status` says it: an agent at work, not a polecat waiting on the Refinery. */
const WORKING: ReadonlySet<PolecatState> = new Set(['working', 'reworking']);

const SEVERITY_RANK: Record<Escalation['severity'], number> = { low: 0, medium: 1, high: 2, critical: 3 };

/**
 * What another node of a cluster answered for its own rigs (GET /api/town, forwarded): the
 * overview folds their rigs and Refinery numbers into this node's (server/cluster/town-reads.ts).
 */
export interface OtherNodesOverview {
  parts: Array<Pick<TownOverview, 'rigs' | 'fleet'>>;
  /** Rigs of the town no node answered for, with why. */
  unavailable: UnavailableRigView[];
}

/** Sample-weighted: the rate over every node's attempts, as one node's would be (one rate: as it is). */
export function pooledRate(rates: Array<{ rate: number | null; sample: number }>): { rate: number | null; sample: number } {
  if (rates.length === 1) return { rate: rates[0].rate, sample: rates[0].sample };
  const sample = rates.reduce((n, r) => n + r.sample, 0);
  // Each node's rate is its count over its sample: the count comes back exactly (rounded).
  const hits = rates.reduce((n, r) => n + Math.round((r.rate ?? 0) * r.sample), 0);
  return { rate: sample === 0 ? null : hits / sample, sample };
}

/** Landings per hour of several nodes: each node's own rate, summed; null while none has one. */
export function summedRate(rates: Array<number | null>): number | null {
  const known = rates.filter((r): r is number => r !== null);
  return known.length === 0 ? null : oneDecimal(known.reduce((a, b) => a + b, 0));
}

/**
 * The town overview. `others` (a cluster): the other nodes' rigs are listed beside this
 * node's (every rig by name, so each node answers alike) and counted in the tiles, the
 * partition diagram and the scale tier; the Deacon, the patrol diagram, escalations, gates and
 * the time share stay this node's (its Deacon patrols the rigs it runs).
 */
export function townOverview(town: Town, readings?: FleetReadings, others?: OtherNodesOverview): TownOverview {
  const beads = town.beads.list();
  const own: RigView[] = town.rigs.list().map((rig) => {
    const stats = town.rigs.refineryStats(rig.name);
    const polecats = town.polecats.list(rig.name).map((p): PolecatView => ({
      id: p.id,
      name: p.name,
      state: p.state,
      beadId: p.beadId,
      beadTitle: p.beadId ? (town.beads.get(p.beadId)?.title ?? null) : null,
      stateSince: p.stateSince,
      lastHeartbeatAt: p.lastHeartbeatAt,
      lastProgressAt: p.lastProgressAt,
      tokensUsed: town.polecats.usageKnown(p) ? p.tokensUsed : null,
      health: p.health,
      strikes: p.strikes,
    }));
    const polecatStates: RigView['polecatStates'] = {};
    for (const p of polecats) polecatStates[p.state] = (polecatStates[p.state] ?? 0) + 1;
    return {
      name: rig.name,
      status: rig.status,
      targetBranch: rig.targetBranch,
      landing: rig.settings.landing,
      upstreamUrl: rig.settings.upstreamUrl,
      repository: path.basename(rig.repoPath),
      scopeText: describeScope(rig.settings.scope, rig.settings.scopeExclude),
      scope: rig.settings.scope,
      scopeExclude: rig.settings.scopeExclude,
      lineage: rig.lineage,
      diskBytes: readings?.diskBytes(rig.name) ?? null,
      refineryWorkers: rig.settings.refineryWorkers,
      refineryBusy: town.rigs.refineryBusy(rig.name),
      workersBusy: town.rigs.busyWorkers(rig.name),
      mergeMode: rig.settings.mergeMode,
      rejected: rig.counters.rejected,
      conflictRate: { rate: stats.conflictRate.rate, sample: stats.conflictRate.sample },
      mergesPerHour: oneDecimal(stats.mergesPerHour),
      mergesLanded: stats.landed,
      queueDepth: town.rigs.queueDepth(rig.name),
      merged: rig.counters.merged,
      conflicts: rig.counters.conflicts,
      reworkedMerged: rig.counters.reworkedMerged,
      polecats,
      polecatStates,
      openBeads: beads.filter((b) => b.rig === rig.name && b.status === 'open').length,
      tier: town.supervision.tier(rig.name),
      tierPinned: rig.settings.tier !== 'auto',
      witness: town.supervision.witnessStatus(rig.name),
      agent: {
        spec: rig.settings.agent,
        description: describeAgent(rig.settings.agent),
        maxConcurrency: rig.settings.maxConcurrency,
        timeoutMs: rig.settings.agentTimeoutMs,
      },
    };
  });
  const rigs = others ? [...own, ...others.parts.flatMap((p) => p.rigs)].sort((a, b) => a.name.localeCompare(b.name)) : own;
  const sum = (f: (r: RigView) => number) => rigs.reduce((n, r) => n + f(r), 0);
  const live = rigs.filter((r) => r.status !== 'retired');
  const allPolecats = live.flatMap((r) => r.polecats);
  const deacon = town.supervision.deaconStatus();
  const townStats = town.rigs.refineryStats();
  const fleets = others?.parts.map((p) => p.fleet) ?? [];
  const nodes = readings?.nodes?.() ?? null;
  return {
    now: town.clock.now(),
    timeScale: town.clock.scale,
    rigs,
    partitionDiagram: partitionDiagram(
      rigs
        .filter((r) => r.status !== 'retired')
        .map((r) => ({
          name: r.name,
          scope: r.scopeText,
          polecats: r.polecats.length,
          workers: r.refineryWorkers,
          queueDepth: r.queueDepth,
          state: r.status === 'parked' ? 'parked' : 'active',
          target: `${r.repository} ${r.targetBranch}`,
        })),
      nodes ?? undefined,
    ),
    patrolDiagram: patrolDiagram(
      deacon.mode,
      patrolLoops(
        town,
        deacon,
        own.filter((r) => r.status !== 'retired'),
      ),
    ),
    fleet: {
      polecats: {
        working: allPolecats.filter((p) => WORKING.has(p.state)).length,
        submitted: allPolecats.filter((p) => p.state === 'submitted').length,
        throttled: allPolecats.filter((p) => p.state === 'throttled').length,
        stalled: allPolecats.filter((p) => p.state === 'stalled' || p.health === 'stalled').length,
        unhealthy: allPolecats.filter((p) => p.health !== 'ok').length,
      },
      conflictRate: pooledRate([townStats.conflictRate, ...fleets.map((f) => f.conflictRate)]),
      completionsPerHour: summedRate([townStats.mergesPerHour, ...fleets.map((f) => f.completionsPerHour)]),
      completions: {
        landed: townStats.landed + fleets.reduce((n, f) => n + f.completions.landed, 0),
        observedMs: Math.max(townStats.observedMs, ...fleets.map((f) => f.completions.observedMs)),
        windowMs: townStats.windowMs,
      },
      scale: scaleTier({
        agents: allPolecats.length,
        rigs: live.length,
        cores: MACHINE.cores,
        memoryGb: MACHINE.memoryGb,
        machines: nodes ? nodes.filter((n) => n.alive).length : 1,
        partitioned: live.some((r) => r.lineage?.splitFrom != null || r.scope.length > 0),
        staggered: town.convoys.list().some((c) => c.waveSize !== null),
        multiRefinery: live.some((r) => r.refineryWorkers > 1),
        tieredPatrols: deacon.mode === 'tiered',
      }),
      timeShare: readings?.timeShare() ?? null,
    },
    deacon,
    escalations: town.escalations
      .list()
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.createdAt - b.createdAt),
    gatesWaiting: town.gates.list().length,
    totals: {
      rigs: rigs.length,
      polecats: sum((r) => r.polecats.length),
      working: sum((r) => r.polecats.filter((p) => WORKING.has(p.state)).length),
      queueDepth: sum((r) => r.queueDepth),
      merged: sum((r) => r.merged),
      conflicts: sum((r) => r.conflicts),
      reworkedMerged: sum((r) => r.reworkedMerged),
      openBeads: sum((r) => r.openBeads),
    },
    ...(others ? { unavailableRigs: others.unavailable } : {}),
  };
}

/** The merge queue in landing order; across all rigs when `rig` is not given. */
export function mergeQueueView(town: Town, rig?: string): MergeQueueView[] {
  const now = town.clock.now();
  const rigs = rig ? [rig] : town.rigs.list().map((r) => r.name);
  return rigs.flatMap((name) => {
    const { pending, inFlight } = town.rigs.queueState(name);
    const perHour = town.rigs.refineryStats(name).mergesPerHour;
    const rows = [
      ...inFlight.map((i) => ({ mr: i.mr, stage: i.stage, worker: i.worker as number | null })),
      ...pending.map((mr) => ({ mr, stage: 'waiting', worker: null })),
    ];
    return rows.map(({ mr, stage, worker }, i) => ({
      rig: name,
      position: i + 1,
      id: mr.id,
      bead: mr.beadId,
      polecat: mr.polecatId,
      status: mr.status,
      stage,
      worker,
      priority: mr.priority,
      attempts: mr.attempts,
      enqueuedAt: mr.enqueuedAt,
      ageMs: now - mr.enqueuedAt,
      etaMs: perHour ? Math.round(((i + 1) / perHour) * 3_600_000) : null,
    }));
  });
}

const BLOCKED_STAGES = new Set(['blocked', 'failed']);

export function refineryStatsView(town: Town, rig?: string): RefineryStatsView {
  const stats = town.rigs.refineryStats(rig);
  const rigs = rig ? [town.rigs.get(rig)!] : town.rigs.list();
  const now = town.clock.now();
  let pending = 0;
  let inFlight = 0;
  let blocked = 0;
  let oldest: number | null = null;
  let workers = 0;
  let busy = 0;
  const totals = { merged: 0, conflicts: 0, rejected: 0 };
  for (const r of rigs) {
    const q = town.rigs.queueState(r.name);
    pending += q.pending.length;
    inFlight += q.inFlight.filter((i) => !BLOCKED_STAGES.has(i.stage)).length;
    blocked += q.inFlight.filter((i) => BLOCKED_STAGES.has(i.stage)).length;
    const head = q.inFlight[0]?.mr ?? q.pending[0];
    if (head && (oldest === null || head.enqueuedAt < oldest)) oldest = head.enqueuedAt;
    workers += r.settings.refineryWorkers;
    busy += town.rigs.busyWorkers(r.name);
    totals.merged += r.counters.merged;
    totals.conflicts += r.counters.conflicts;
    totals.rejected += r.counters.rejected;
  }
  return {
    rig: rig ?? null,
    window_ms: stats.windowMs,
    conflict_rate: stats.conflictRate.rate,
    conflict_sample: stats.conflictRate.sample,
    conflicts: stats.conflictRate.count,
    check_failure_rate: stats.checkFailureRate.rate,
    check_runs: stats.checkFailureRate.sample,
    merges_per_hour: oneDecimal(stats.mergesPerHour),
    merges_landed: stats.landed,
    observed_ms: stats.observedMs,
    min_sample: MIN_RATE_SAMPLE,
    time_in_queue_ms: stats.timeInQueueMs,
    check_duration_ms: stats.checkDurationMs,
    queue: { pending, in_flight: inFlight, blocked },
    head_of_line_age_ms: oldest === null ? null : now - oldest,
    workers,
    workers_busy: busy,
    totals,
  };
}

/** The Deacon's loops with the rigs each covers, for the patrol diagram. */
function patrolLoops(town: Town, deacon: DeaconStatus, rigs: RigView[]): PatrolLoop[] {
  if (deacon.mode === 'sequential') {
    const all = deacon.loops.all;
    return [
      { name: 'all', intervalMs: all?.intervalMs ?? null, lastCycleMs: all?.lastCycleMs ?? null, rigs: rigs.map((r) => r.name) },
    ];
  }
  return (['hot', 'warm', 'cold'] as const).map((tier) => ({
    name: tier,
    intervalMs: deacon.loops[tier]?.intervalMs ?? null,
    lastCycleMs: deacon.loops[tier]?.lastCycleMs ?? null,
    rigs: rigs.filter((r) => r.tier === tier).map((r) => r.name),
  }));
}
