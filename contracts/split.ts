/**
 * Splitting a rig into partitions by path scope and merging them back, as the rig page
 * and `gt rig split|merge` read it: the suggestion from history, the dry-run plan with its
 * before/after diagrams, and the merge's result. The engine's side is server/engine/split.ts.
 */

/** One partition asked for: a new rig owning the files its globs match. */
export interface PartitionSpec {
  name: string;
  globs: string[];
}

export interface SuggestedSplit {
  partitions: PartitionSpec[];
  /** Share of the touched change sets that would span more than one partition (remainder included). */
  crossingShare: number;
  /** Change sets the suggestion was computed from. */
  sample: number;
}

export type PartitionRole = 'partition' | 'remainder' | 'integration';

export interface PartitionPlan {
  name: string;
  role: PartitionRole;
  scope: string[];
  scopeExclude: string[];
  /** Files of the repository it owns. */
  files: number;
  beads: string[];
  mergeRequests: string[];
  /** Requests waiting or being merged that it takes over. */
  queueDepth: number;
  /** Polecats it will have, of which `moved` come from the rig and `added` are new. */
  polecats: number;
  moved: string[];
  added: number;
  /** Minutes to drain its queue at the rig's recorded merge rate; null without a rate. */
  drainMinutes: number | null;
}

export interface SplitPlan {
  rig: string;
  /** False when the rig stays as the integration rig. */
  retire: boolean;
  /** The rig taking work that spans partitions. */
  spanningTo: string;
  partitions: PartitionPlan[];
  spanning: { beads: string[]; mergeRequests: string[] };
  /** Idle polecats the split removes (their worktrees go; branches stay). */
  removedPolecats: string[];
  /** mergesPerHour: null while the Refinery's window is too short to give a rate ("n too small"). */
  before: { queueDepth: number; polecats: number; mergesPerHour: number | null; drainMinutes: number | null };
  warnings: string[];
}

export interface MergeResult {
  rig: string;
  from: string[];
  beads: number;
  mergeRequests: number;
  polecats: number;
}

export interface SplitPreview {
  plan: SplitPlan;
  diagram: { before: string; after: string };
}
