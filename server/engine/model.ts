/**
 * The town's records: plain, serialisable data. Engine modules own the transitions
 * (see polecat.ts, merge-request.ts); the store persists these shapes as they are.
 * All times are milliseconds on the engine's Clock (see clock.ts), never the wall clock.
 */

export type RigStatus = 'active' | 'parked' | 'retired';

export interface RigSettings {
  /** Number of Refinery workers. The Foundation Refinery is sequential: 1. */
  refineryWorkers: number;
  /** Scripted agent: mean simulated work time per bead, ms of engine time. */
  agentWorkMs: number;
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
}

export interface RigCounters {
  merged: number;
  conflicts: number;
  /** Conflicted merge requests that later landed after rework. */
  reworkedMerged: number;
}

export type PolecatState =
  | 'idle' // no bead
  | 'working' // agent running on a fresh bead
  | 'submitted' // merge request queued at the Refinery, waiting to land
  | 'reworking' // its merge request conflicted; re-applying on the new target
  | 'throttled' // waiting on an API provider limit (not a stall)
  | 'stalled'; // detected by the Witness: no progress

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
}

export type MergeRequestStatus =
  | 'queued' // waiting for the Refinery
  | 'merging' // a Refinery worker holds it
  | 'merged' // landed on the target branch
  | 'conflicted' // sent back to its polecat for rework
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
  enqueuedAt: number;
  updatedAt: number;
  landedAt: number | null;
}
