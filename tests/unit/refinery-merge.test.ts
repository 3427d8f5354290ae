/**
 * The town's Refinery numbers from every node's own (server/cluster/refinery-merge.ts): what
 * `gt refinery stats` shows on any node of a cluster. Rates are pooled over their samples (as
 * one node over all the attempts would count them), not averaged per node.
 */
import { describe, expect, it } from 'vitest';
import type { RefineryStatsView } from '@/contracts/town';
import { mergeRefineryStats } from '@/server/cluster/refinery-merge';

function stats(over: Partial<RefineryStatsView>): RefineryStatsView {
  return {
    rig: null,
    window_ms: 3_600_000,
    conflict_rate: null,
    conflict_sample: 0,
    conflicts: 0,
    check_failure_rate: null,
    check_runs: 0,
    merges_per_hour: null,
    merges_landed: 0,
    observed_ms: 0,
    min_sample: 10,
    time_in_queue_ms: { p50: null, p95: null, sample: 0 },
    check_duration_ms: { p50: null, sample: 0 },
    queue: { pending: 0, in_flight: 0, blocked: 0 },
    head_of_line_age_ms: null,
    workers: 1,
    workers_busy: 0,
    totals: { merged: 0, conflicts: 0, rejected: 0 },
    ...over,
  };
}

describe('the Refinery numbers of several nodes', () => {
  it('pools rates over their samples, sums counts and landings, and bounds the p95 by the worst node', () => {
    const busy = stats({
      conflict_rate: 0.1,
      conflict_sample: 30,
      conflicts: 3,
      check_failure_rate: 0.25,
      check_runs: 8,
      merges_per_hour: 12.5,
      merges_landed: 25,
      observed_ms: 3_600_000,
      time_in_queue_ms: { p50: 1_000, p95: 9_000, sample: 30 },
      queue: { pending: 4, in_flight: 1, blocked: 0 },
      head_of_line_age_ms: 5_000,
      workers: 2,
      workers_busy: 1,
      totals: { merged: 25, conflicts: 3, rejected: 1 },
    });
    const quiet = stats({
      conflict_rate: 0.5,
      conflict_sample: 10,
      conflicts: 5,
      merges_per_hour: null,
      merges_landed: 2,
      observed_ms: 600_000,
      time_in_queue_ms: { p50: 3_000, p95: 4_000, sample: 10 },
      queue: { pending: 1, in_flight: 0, blocked: 1 },
      head_of_line_age_ms: 60_000,
      totals: { merged: 2, conflicts: 5, rejected: 0 },
    });
    const town = mergeRefineryStats([busy, quiet]);
    // 8 conflicts over 40 attempts: 20%, not the 30% a per-node average would say.
    expect([town.conflict_rate, town.conflict_sample, town.conflicts]).toEqual([0.2, 40, 8]);
    expect([town.check_failure_rate, town.check_runs]).toEqual([0.25, 8]);
    // A node with too short a window for a rate adds its landings but no rate.
    expect([town.merges_per_hour, town.merges_landed, town.observed_ms]).toEqual([12.5, 27, 3_600_000]);
    expect(town.time_in_queue_ms).toEqual({ p50: 1_500, p95: 9_000, sample: 40 });
    expect(town.queue).toEqual({ pending: 5, in_flight: 1, blocked: 1 });
    expect([town.head_of_line_age_ms, town.workers, town.workers_busy]).toEqual([60_000, 3, 1]);
    expect(town.totals).toEqual({ merged: 27, conflicts: 8, rejected: 1 });
  });

  it('gives one node’s numbers back as they are', () => {
    const only = stats({ rig: null, conflict_rate: 1 / 3, conflict_sample: 3, conflicts: 1 });
    expect(mergeRefineryStats([only])).toBe(only);
  });
});
