/**
 * The town as the pages, the JSON API and the CLI read it: the overview (rigs, polecats,
 * the fleet's headline numbers, the Deacon, escalations), the merge queue, the Refinery's
 * stats and `gt status`. Plain JSON, derived from the engine on demand by server/queries.
 */
import type {
  AgentSpec,
  Escalation,
  MergeRequest,
  PatrolTier,
  PolecatHealth,
  PolecatState,
  RigLineage,
  RigStatus,
  TownSettings,
} from './records';
import type { UnavailableRigView } from './cluster';

export interface PolecatView {
  id: string;
  name: string;
  state: PolecatState;
  beadId: string | null;
  beadTitle: string | null;
  stateSince: number;
  lastHeartbeatAt: number | null;
  lastProgressAt: number | null;
  /** Null when the polecat's agent does not report usage: unknown, never zero. */
  tokensUsed: number | null;
  health: PolecatHealth;
  strikes: number;
}

export interface RigView {
  name: string;
  status: string;
  targetBranch: string;
  /** Repository folder name (partitions of one repository share it). */
  repository: string;
  /** Path scope in words, and as globs. */
  scopeText: string;
  scope: string[];
  scopeExclude: string[];
  /** Splits and merges it took part in. */
  lineage: RigLineage | null;
  /** Disk its polecats' worktrees use; null until measured. */
  diskBytes: number | null;
  refineryWorkers: number;
  refineryBusy: boolean;
  workersBusy: number;
  mergeMode: string;
  rejected: number;
  conflictRate: { rate: number | null; sample: number };
  /** Landed per hour over the Refinery window; null: "n too small" (less than 15 min observed). */
  mergesPerHour: number | null;
  /** Merges landed in the window: the throughput's sample. */
  mergesLanded: number;
  queueDepth: number;
  merged: number;
  conflicts: number;
  reworkedMerged: number;
  polecats: PolecatView[];
  polecatStates: Partial<Record<PolecatState, number>>;
  openBeads: number;
  tier: PatrolTier;
  tierPinned: boolean;
  witness: { intervalMs: number; lastPatrolAt: number | null };
  /** Which agent runs its beads (docs/agents.md), its concurrency cap and timeout. */
  agent: { spec: AgentSpec; description: string; maxConcurrency: number | null; timeoutMs: number };
  /** Where its landings go (`upstream`: pushed; `local`: its own repository only). */
  landing: 'upstream' | 'local';
  /** The upstream it was cloned from, never with a password; null for a local repository. */
  upstreamUrl: string | null;
}

/** A rig being cloned from its upstream (`gt rig add`): what GET /api/rigs/clones answers. */
export interface CloneInProgress {
  rig: string;
  /** Without its password. */
  url: string;
  /** git's last progress line: "Receiving objects", "Resolving deltas"...; null before the first. */
  phase: string | null;
  percent: number | null;
  /** Engine-clock ms. */
  startedAt: number;
}

export interface TownOverview {
  now: number;
  timeScale: number;
  rigs: RigView[];
  /** Mermaid: town -> rigs (scope, polecats) -> Refinery -> target branch, for rigs not retired. */
  partitionDiagram: string;
  /** Mermaid: the Deacon's patrol loops and the rigs in each. */
  patrolDiagram: string;
  /** The headline numbers of the overview's tiles. */
  fleet: {
    /** working: an agent at work (working, reworking), as `gt status` counts; submitted: waiting on the Refinery. */
    polecats: { working: number; submitted: number; throttled: number; stalled: number; unhealthy: number };
    conflictRate: { rate: number | null; sample: number };
    /** Beads landed per hour over the Refinery window. */
    completionsPerHour: number | null;
    /** The sample behind completionsPerHour: landed in the window, over how much observed time. */
    completions: { landed: number; observedMs: number; windowMs: number };
    scale: ScaleTierView;
    /** Where the fleet's time went since the server started; null without the measurement. */
    timeShare: TimeShareView | null;
  };
  deacon: DeaconStatus;
  /** Escalations not yet resolved, most severe first. */
  escalations: Escalation[];
  gatesWaiting: number;
  totals: {
    rigs: number;
    polecats: number;
    working: number;
    queueDepth: number;
    merged: number;
    conflicts: number;
    reworkedMerged: number;
    openBeads: number;
  };
  /**
   * In a cluster: rigs of the town no node answered for just now (owner dead, lease lapsed),
   * with why, so they are shown as unavailable rather than missing (docs/cluster.md).
   */
  unavailableRigs?: UnavailableRigView[];
}

/** One merge request's page: the request with its checks' runs, and its bead's title. */
export interface MergeRequestDetail {
  mergeRequest: MergeRequest;
  /** Null when the bead is no longer known (history trimmed). */
  beadTitle: string | null;
  /** True while it is still in its rig's queue (its checks may run again). */
  inQueue: boolean;
}

export interface MergeQueueView {
  rig: string;
  /** 1-based landing position. */
  position: number;
  id: string;
  bead: string;
  polecat: string;
  status: MergeRequest['status'];
  /** Refinery stage for requests held by a worker; `waiting` otherwise. */
  stage: string;
  /** Worker slot holding it, if any. */
  worker: number | null;
  priority: number;
  attempts: number;
  enqueuedAt: number;
  ageMs: number;
  /**
   * Estimated engine ms until it lands: its position at the rig's recorded landing rate
   * (merges per hour over the Refinery window); null while nothing has landed to go by.
   */
  etaMs: number | null;
}

/** What `gt refinery stats --json` prints: snake_case, stable, every rate with its sample. */
export interface RefineryStatsView {
  rig: string | null;
  window_ms: number;
  /** Conflicted attempts / all attempts in the window, 0-1; null with no attempts. */
  conflict_rate: number | null;
  conflict_sample: number;
  conflicts: number;
  check_failure_rate: number | null;
  check_runs: number;
  /** Null while less than 15 min of the window was observed ("n too small"). */
  merges_per_hour: number | null;
  merges_landed: number;
  /** How much of the window was observed (the rig's age when younger than the window). */
  observed_ms: number;
  /** Rates over fewer attempts than this are "n too small". */
  min_sample: number;
  time_in_queue_ms: { p50: number | null; p95: number | null; sample: number };
  check_duration_ms: { p50: number | null; sample: number };
  queue: { pending: number; in_flight: number; blocked: number };
  head_of_line_age_ms: number | null;
  workers: number;
  workers_busy: number;
  totals: { merged: number; conflicts: number; rejected: number };
  /** Town-wide in a cluster: rigs no node answered for just now, not counted above (docs/cluster.md). */
  unavailable_rigs?: UnavailableRigView[];
}

/** The Deacon's patrol loops: one per tier, or `all` when it patrols sequentially. */
export type PatrolLoop = PatrolTier | 'all';

export interface DeaconStatus {
  mode: TownSettings['deaconMode'];
  /** The longest last-cycle duration among the running loops, ms. */
  lastPatrolDurationMs: number | null;
  /** rigs: in the loop now (its tier's rigs), as the patrol diagram shows them. */
  loops: Record<PatrolLoop, { lastCycleMs: number | null; lastCycleAt: number | null; rigs: number; intervalMs: number | null }>;
  gateLatency: { lastMs: number | null; p95Ms: number | null; maxMs: number | null; sample: number; windowMs: number };
}

export type ScaleTier = 'Small' | 'Medium' | 'Large' | 'XL';

export interface ScaleTierView {
  tier: ScaleTier;
  agents: number;
  rigs: number;
  recommended: { agents: string; rigs: string; setup: string };
  actual: { setup: string; strategies: Array<{ name: string; inUse: boolean }> };
  advice: string[];
}

export type TimeCategory = 'agents' | 'git' | 'checks' | 'coordination';

export interface TimeShareView {
  /** Engine time the accounting started. */
  since: number;
  categories: Array<{ key: TimeCategory; label: string; ms: number; share: number | null; seedShare: number }>;
}

/**
 * What `gt status --json` prints: the town, its rigs and agents, the Deacon (with
 * `last_patrol_duration` in seconds, as the seed reads it) and a summary. Snake_case and
 * stable: scripts depend on it. Durations are seconds (one decimal); null: not measured.
 */
export interface StatusView {
  now: number;
  time_scale: number;
  rigs: Array<{
    name: string;
    /** The node that runs it (in a cluster, every node lists every rig: docs/cluster.md). */
    node: string;
    status: RigStatus;
    tier: PatrolTier;
    tier_pinned: boolean;
    polecats: number;
    queue_depth: number;
    refinery_workers: number;
    witness: { interval_s: number | null; last_patrol_at: number | null };
  }>;
  agents: {
    total: number;
    by_state: Record<string, number>;
    unhealthy: Array<{ id: string; health: PolecatHealth; strikes: number }>;
  };
  deacon: {
    mode: TownSettings['deaconMode'];
    /** Seconds: the longest last cycle among the Deacon's patrol loops. */
    last_patrol_duration: number | null;
    tiers: Record<string, { last_cycle_s: number | null; rigs: number; interval_s: number | null }>;
    gate_latency_s: { last: number | null; p95: number | null; max: number | null; sample: number };
  };
  escalations: { open: number; acknowledged: number };
  gates_waiting: number;
  /** Rigs of the town no node could answer for just now (cluster mode; empty on one server). */
  unavailable_rigs: Array<{ name: string; node: string | null; reason: string }>;
}
