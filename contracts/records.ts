/**
 * The town's records: plain, serialisable data. Engine modules own the transitions
 * (see server/engine/polecat.ts, merge-request.ts); the store persists these shapes as
 * they are, the API answers them and the CLI prints them. All times are milliseconds on
 * the engine's Clock (server/engine/clock.ts), never the wall clock.
 */

export type RigStatus = 'active' | 'parked' | 'retired';

/** A check: a named validation command the Refinery runs against a merge result before it lands. */
export interface CheckSpec {
  name: string;
  /** argv: the program and its arguments, never a shell string. */
  command: string[];
  /** The check fails when it runs longer than this. */
  timeoutMs: number;
}

/**
 * A rig's setup step (e.g. `npm ci`): run in a Refinery scratch worktree before its first
 * checks, and again only when one of `inputs` (lockfiles, e.g. package-lock.json) differs
 * between the commit being validated and the one the last successful setup ran on. While
 * it is current, validations keep the ignored files it made (node_modules and the like).
 */
export interface CheckSetup {
  /** argv, never a shell string. */
  command: string[];
  /** The setup fails (and with it the validation) when it runs longer than this. */
  timeoutMs: number;
  /** Repository paths whose content decides whether the setup must run again. */
  inputs: string[];
}

/** One step of a validation as it ran: the setup or a check, with its outcome. */
export interface CheckRun {
  /** The check's name; `setup` for the setup step. */
  name: string;
  kind: 'setup' | 'check';
  command: string[];
  /** Its exit code; null when it did not exit by itself (timed out, killed, could not start). */
  exitCode: number | null;
  ok: boolean;
  /** Real milliseconds it ran. */
  durationMs: number;
  /** Why it failed (the line the output ends with), null when it passed. */
  failure: string | null;
  /** Tail of its stdout+stderr (bounded: shorter for steps that passed). */
  output: string;
}

/** Upper bound on a rig's Refinery workers (the seed's "multiple Refinery instances"). */
export const MAX_REFINERY_WORKERS = 16;

export interface RigSettings {
  /** Refinery workers (1-MAX_REFINERY_WORKERS): how many merge requests are validated at once. */
  refineryWorkers: number;
  /**
   * `speculative`: each request is validated on top of the ones ahead of it, in parallel,
   * and lands alone. `batch`: up to `batchSize` requests are validated together (one check
   * run) and land together; a failing batch is bisected.
   */
  mergeMode: 'speculative' | 'batch';
  batchSize: number;
  /** Checks run against every merge result before it lands, in order. */
  checks: CheckSpec[];
  /** Runs before the checks in each scratch worktree, again when its inputs change; null: none. */
  setup: CheckSetup | null;
  /** Submissions (first + reworks) before a merge request is escalated instead of retried. */
  maxAttempts: number;
  /** Every this-many ms of waiting raises a request one priority level, so none starves. */
  agingStepMs: number;
  /**
   * A rig landing upstream fetches it this often (ms of engine time), and its local target
   * follows, so new polecat work and rework start from what the team has pushed.
   */
  fetchIntervalMs: number;
  /** A rig landing upstream also pushes each polecat branch when its agent commits, for review. */
  pushBranches: boolean;
  /** Scripted agent: mean simulated work time per bead, ms of engine time. */
  agentWorkMs: number;
  /** Scripted agent: chance that a change breaks the checks (0-1). */
  agentFailureRate: number;
  /** Witness patrol interval in ms; null = automatic (5 min, shorter past 15 polecats). */
  witnessIntervalMs: number | null;
  /** A working polecat with no heartbeat for this long is unresponsive. */
  heartbeatTimeoutMs: number;
  /** A polecat with heartbeats but no progress (edits, commits) for this long is stalled. */
  progressTimeoutMs: number;
  /** Deacon patrol tier: `auto` follows activity (hot with working polecats, warm, cold when parked). */
  tier: 'auto' | PatrolTier;
  /** Path scope: globs of the repository this rig owns (empty: all of it). Routes beads. */
  scope: string[];
  /**
   * Globs carved out of the scope: a split's remainder partition owns what its sibling
   * partitions do not (see server/engine/partitions.ts).
   */
  scopeExclude: string[];
  /** The API provider its agents use (for the town's concurrency and token limits). */
  provider: string;
  /** Which agent runs on its beads: the built-in scripted one, a preset CLI, or a command (docs/agents.md). */
  agent: AgentSpec;
  /** Agents of this rig running at once; null: one per polecat. Waiting polecats show as throttled. */
  maxConcurrency: number | null;
  /** A preset or command agent is killed (a failed attempt) after this many real ms. */
  agentTimeoutMs: number;
  /**
   * Where a landing goes: `upstream` pushes it to the upstream's target branch (a rig
   * added from a URL, `gt rig add`); `local` moves the branch in the rig's own repository
   * only (the demo, `gt rig add --local`, rigs from before upstreams).
   */
  landing: 'upstream' | 'local';
  /** The upstream the rig was cloned from, as shown: never with a password. Null: none. */
  upstreamUrl: string | null;
}

/** The presets: common coding-agent CLIs as argument templates (their argv in server/agents/presets.ts). */
export const AGENT_PRESETS = ['claude', 'codex', 'gemini', 'aider', 'opencode'] as const;
export type AgentPresetName = (typeof AGENT_PRESETS)[number];

/**
 * A rig's agent runtime. Argument arrays only: `{placeholders}` in them are replaced by
 * whole data values (the bead's id, the prompt file...), never interpreted by a shell.
 */
export type AgentSpec =
  | { kind: 'scripted' }
  | { kind: 'preset'; preset: AgentPresetName; model?: string; args?: string[] }
  | { kind: 'command'; command: string[] };

export type PatrolTier = 'hot' | 'warm' | 'cold';

/** Town-wide settings (the Deacon's and the Mayor's). */
export interface TownSettings {
  /** `tiered`: hot/warm/cold rigs patrolled on their own cadences; `sequential`: one loop over every rig (the seed's baseline). */
  deaconMode: 'tiered' | 'sequential';
  /** Patrol cadence per tier, ms. */
  tierIntervalsMs: Record<PatrolTier, number>;
  /**
   * Modelled time for the Deacon to inspect one rig (its patrol agent reads the rig's
   * state): what makes a sequential patrol grow with the number of rigs, as in the seed.
   */
  rigPatrolMs: number;
  /** A cold (parked) rig only gets a health check, this long. */
  coldPatrolMs: number;
  /** Open gates as soon as their condition holds (event-driven), with patrols as backstop. */
  gateFastPath: boolean;
  /** An unacknowledged escalation is raised one severity level after this long. */
  reescalateAfterMs: number;
  /** API provider limits, by provider name. */
  providers: Record<string, ProviderLimits>;
  /** Daily spend the town plans for, USD; null: none set. */
  dailyBudgetUsd: number | null;
  /** Spend per day at which the budget alert fires, USD (`gt costs --alert-threshold`). */
  budgetAlertUsd: number | null;
  /** Tokens a polecat may spend without progress before it is flagged as a retry loop. */
  retryLoopTokens: number;
}

export interface Rig {
  name: string;
  /** Absolute path of the rig's git repository. */
  repoPath: string;
  targetBranch: string;
  status: RigStatus;
  settings: RigSettings;
  createdAt: number;
  /** Running totals; the windowed rates live in metrics. */
  counters: RigCounters;
  /** Where the rig came from and went to by splits and merges; null for a rig added as it is. */
  lineage: RigLineage | null;
}

/** A rig's place in split history (see contracts/split.ts). */
export interface RigLineage {
  /** The rig this one was split out of. */
  splitFrom: string | null;
  /** The partitions this rig was split into (it is retired, or kept as the integration rig). */
  splitInto: string[];
  /** The rig this partition was merged back into (it is retired). */
  mergedInto: string | null;
  /** Engine time of the last split or merge that changed this rig. */
  at: number;
}

export interface RigCounters {
  merged: number;
  conflicts: number;
  /** Submissions a check rejected. */
  rejected: number;
  /** Conflicted merge requests that later landed after rework. */
  reworkedMerged: number;
}

export type PolecatState =
  | 'idle' // no bead
  | 'working' // agent running on a fresh bead
  | 'submitted' // merge request queued at the Refinery, waiting to land
  | 'reworking' // its merge request conflicted; re-applying on the new target
  | 'throttled' // waiting on an API provider limit (not a stall; the Witness leaves it be)
  | 'stalled'; // detected by the Witness: no progress

/** What the Witness last concluded about a polecat. */
export type PolecatHealth = 'ok' | 'unresponsive' | 'stalled' | 'zombie';

export interface Polecat {
  /** Unique within the town: `<rig>/<name>`. */
  id: string;
  rig: string;
  name: string;
  state: PolecatState;
  beadId: string | null;
  branch: string;
  worktreePath: string;
  lastHeartbeatAt: number | null;
  lastProgressAt: number | null;
  stateSince: number;
  tokensUsed: number;
  health: PolecatHealth;
  /** Consecutive Witness patrols that found it unhealthy: the rung of the ladder it is on. */
  strikes: number;
}

export type BeadStatus = 'open' | 'hooked' | 'in_progress' | 'blocked' | 'done' | 'closed';

export interface Bead {
  id: string;
  title: string;
  description: string;
  status: BeadStatus;
  /** 0 (most urgent) to 4. */
  priority: number;
  labels: string[];
  /** Ids of beads that must be done before this one can start. */
  dependsOn: string[];
  /** The beads interchange format's issue_type: task, bug, feature, epic, chore... */
  issueType: string;
  /** The bead this one is part of (a `parent-child` dependency), or null. Does not hold dispatch. */
  parent: string | null;
  /** Beads it is related to (`related` dependencies). Do not hold dispatch. */
  related: string[];
  /** Paths or globs the work is expected to touch; routes the bead and drives the scripted agent. */
  paths: string[];
  rig: string;
  assignee: string | null;
  convoyId: string | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
}

export type ConvoyStatus = 'open' | 'landed' | 'closed';

export interface Convoy {
  id: string;
  title: string;
  status: ConvoyStatus;
  beadIds: string[];
  createdAt: number;
  closedAt: number | null;
  /** Null until dispatched: a convoy can be created on hold and dispatched later. */
  dispatchedAt: number | null;
  /** Null: all at once; N: staggered in waves of N beads. */
  waveSize: number | null;
  /** The wave plan, in order (one wave when dispatched all at once). */
  waves: Wave[];
}

/**
 * One slice of a staggered convoy. Wave N+1 is held by a merge-landed gate on wave N's
 * beads, so it builds on code that has already landed.
 */
export interface Wave {
  /** 1-based. */
  index: number;
  beads: string[];
  /** The gate holding it (null for a wave nothing holds). */
  gateId: string | null;
  /** When its first bead was taken by a polecat. */
  dispatchedAt: number | null;
  /** When its last bead landed. */
  landedAt: number | null;
  /** Merge attempts of its beads, by outcome: how much rework the wave cost. */
  merged: number;
  conflicts: number;
  rejections: number;
}

/** Token usage and cost, summed per day, rig, polecat, convoy and model. */
export interface UsageRecord {
  /** UTC day on the engine clock, YYYY-MM-DD. */
  day: string;
  rig: string;
  polecatId: string;
  convoyId: string | null;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Null when the model has no known price (never shown as zero). */
  costUsd: number | null;
}

/** An API provider's limits, shared by every polecat of the town that uses it. */
export interface ProviderLimits {
  /** Concurrent agent sessions; null: unlimited. */
  maxSessions: number | null;
  /** Tokens per minute across its sessions; null: unlimited. */
  tokensPerMinute: number | null;
}

export type MergeRequestStatus =
  | 'queued' // waiting for the Refinery
  | 'merging' // a Refinery worker holds it
  | 'merged' // landed on the target branch
  | 'conflicted' // sent back to its polecat for rework
  | 'rejected' // a check failed; sent back to its polecat with the output
  | 'escalated' // failed maxAttempts times; a person has to look
  | 'abandoned'; // its polecat gave the bead up; a fresh request follows when the bead is redone

export interface MergeRequest {
  id: string;
  rig: string;
  polecatId: string;
  beadId: string;
  branch: string;
  /** Commit submitted for merging (the polecat branch head at submit time). */
  headSha: string;
  status: MergeRequestStatus;
  priority: number;
  /** Submissions so far: 1 on first submit, +1 per rework. */
  attempts: number;
  /** Merge commit written before the ref moved; lets a restart tell whether it landed. */
  mergeCommit: string | null;
  conflictFiles: string[];
  /** The check that rejected the last submission, and the tail of its output. */
  failedCheck: string | null;
  checkOutput: string | null;
  /** Every step of the validation that decided it (landed or rejected), passing ones too. */
  checkRuns: CheckRun[];
  enqueuedAt: number;
  updatedAt: number;
  landedAt: number | null;
}

export type EscalationSeverity = 'low' | 'medium' | 'high' | 'critical';
export type EscalationStatus = 'open' | 'acknowledged' | 'resolved';

/** A stall or failure routed up the supervision tree for a person to handle. */
export interface Escalation {
  id: string;
  severity: EscalationSeverity;
  /** Which role raised it: `refinery`, `witness`, `deacon`, ... */
  source: string;
  reason: string;
  rig: string | null;
  beadId: string | null;
  polecatId: string | null;
  mergeRequestId: string | null;
  status: EscalationStatus;
  createdAt: number;
  /** Last time the severity was raised (re-escalation when left unacknowledged). */
  escalatedAt: number;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  resolvedBy: string | null;
  resolvedAt: number | null;
}

export type GateKind = 'timer' | 'merge_landed' | 'bead_closed' | 'human';

/** A condition that holds work (beads) until it opens. */
export interface Gate {
  id: string;
  kind: GateKind;
  /** Human-readable purpose, e.g. "Wave 2 of convoy cv-..." */
  title: string;
  /** `cancelled`: withdrawn (a convoy was re-staggered); it holds nothing any more. */
  status: 'waiting' | 'open' | 'cancelled';
  /** Beads held until the gate opens. */
  holds: string[];
  /** timer: opens at `until`. */
  until: number | null;
  /** merge_landed: the merge requests of these beads have all landed; bead_closed: these beads are closed. */
  beads: string[];
  rig: string | null;
  convoyId: string | null;
  createdAt: number;
  /** When the condition first held (from the records); null while it does not. */
  readyAt: number | null;
  openedAt: number | null;
  /** Who opened it: `deacon`, `fast-path`, or the approving operator. */
  openedBy: string | null;
}
