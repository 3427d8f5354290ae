/**
 * The history lab as the lab page, `POST /api/lab/history` and `gt lab history` describe
 * it: a rig's own first-parent history replayed in windows of N consecutive changes cut
 * from one base (server/lab/history), the conflict curve that comes out with a sample
 * size and an interval per point, and the co-change partitions ranked by the conflicts
 * the replay leaves within each.
 */
import { z } from 'zod';
import type { PartitionSpec } from './split';

export const HISTORY_LIMITS = { maxN: 50, windows: 200 } as const;

export const historyRequestSchema = z
  .object({
    rig: z.string().min(1).max(64),
    /** Largest window: N = 1..maxN changes cut from one base. */
    maxN: z.number().int().min(2).max(HISTORY_LIMITS.maxN).default(50),
    /** Windows sampled (each replayed once to maxN; its prefixes give the smaller N). */
    windows: z.number().int().min(1).max(HISTORY_LIMITS.windows).default(40),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
  })
  .strict();
export type HistoryRequest = z.infer<typeof historyRequestSchema>;

/** The seed document's table: conflict share at 5, 15 and 30 polecats on one rig. */
export const SEED_CURVE: ReadonlyArray<{ n: number; rate: number }> = [
  { n: 5, rate: 0.1 },
  { n: 15, rate: 0.3 },
  { n: 30, rate: 0.5 },
];

/** The share at which the seed says a rig hurts (its 15-polecat row). */
export const PAINFUL_RATE = 0.3;

/** One point of the curve: windows of `n` changes. */
export interface CurvePoint {
  n: number;
  /** Mean share of a window's changes that conflicted or could not apply to the base. */
  rate: number;
  /** 95% interval of `rate` (see docs/lab.md). */
  low: number;
  high: number;
  /** Windows that reached n changes (the sample). */
  windows: number;
  /** Changes in them (windows x n). */
  changes: number;
  /** Sampled windows that stopped before n on missing objects. */
  skipped: number;
}

export interface PartitionPart {
  name: string;
  globs: string[];
  /** Share of the windows' changes wholly inside this part. */
  share: number;
  /** Its polecats when the rig's N are divided by share (at least 1). */
  polecats: number;
  /** Conflict share among `polecats` consecutive changes of this part, and the windows that had that many. */
  rate: number | null;
  windows: number;
}

export interface RankedPartition {
  /** Where the candidate comes from: the split suggestion, or co-change clustering into k parts. */
  source: 'suggestion' | 'co-change';
  partitions: PartitionSpec[];
  parts: PartitionPart[];
  /** Expected conflict share after the split: parts by share, spanning changes at the unsplit rate. */
  rate: number;
  /** Share of window changes that touch more than one part (they stay on a rig spanning the parts). */
  spanningShare: number;
}

export interface HistoryReport {
  rig: string;
  branch: string;
  seed: number;
  maxN: number;
  /** First-parent changes read from the target branch. */
  changes: number;
  windowsAsked: number;
  windowsSampled: number;
  /** Windows that ran into a missing object (shallow or partial clone) and were cut short. */
  windowsSkipped: number;
  shallow: boolean;
  curve: CurvePoint[];
  /** Smallest N whose rate reaches PAINFUL_RATE, or null when no window size does. */
  reachesPainfulAt: number | null;
  /** Paths changed together: top-level directory pairs with the changes touching both. */
  coChange: Array<{ a: string; b: string; together: number }>;
  /** N the partitions were judged at: the rig's polecats or 15, whichever is more (within maxN). */
  partitionsAtN: number;
  /** Without a split, the curve's rate at partitionsAtN. */
  unsplitRate: number | null;
  partitions: RankedPartition[];
  /** Git processes the replay started, and per sampled window. */
  gitProcesses: number;
  gitProcessesPerWindow: number;
  elapsedMs: number;
  notes: string[];
}

export type HistoryProgress =
  { state: 'idle' } | { state: 'running'; rig: string; windowsDone: number; windows: number; startedAt: number };
