/**
 * The town's Refinery numbers from every node's own (GET /api/refinery/stats without `?rig=`
 * in a cluster): counts and queues summed, rates pooled over their samples, landings per hour
 * summed. Percentiles cannot be pooled from summaries: the median is each node's weighted by
 * its sample, the p95 the worst node's (an upper bound), and docs/cluster.md says so.
 */
import type { RefineryStatsView } from '../../contracts/town';
import { pooledRate, summedRate } from '../queries/town-view';

type Percentiles = { p50: number | null; p95?: number | null; sample: number };

const sumOf = (views: RefineryStatsView[], f: (v: RefineryStatsView) => number) => views.reduce((n, v) => n + f(v), 0);

function maxOf(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

function weightedMedian(parts: Percentiles[]): number | null {
  const known = parts.filter((p) => p.p50 !== null && p.sample > 0);
  const sample = known.reduce((n, p) => n + p.sample, 0);
  return sample === 0 ? null : Math.round(known.reduce((n, p) => n + p.p50! * p.sample, 0) / sample);
}

/** `views[0]` is this node's; the others' follow. One view comes back as it is. */
export function mergeRefineryStats(views: RefineryStatsView[]): RefineryStatsView {
  if (views.length === 1) return views[0];
  const conflicts = pooledRate(views.map((v) => ({ rate: v.conflict_rate, sample: v.conflict_sample })));
  const checks = pooledRate(views.map((v) => ({ rate: v.check_failure_rate, sample: v.check_runs })));
  const inQueue = views.map((v) => v.time_in_queue_ms);
  const checkDurations = views.map((v) => v.check_duration_ms);
  return {
    rig: null,
    window_ms: views[0].window_ms,
    conflict_rate: conflicts.rate,
    conflict_sample: conflicts.sample,
    conflicts: sumOf(views, (v) => v.conflicts),
    check_failure_rate: checks.rate,
    check_runs: checks.sample,
    merges_per_hour: summedRate(views.map((v) => v.merges_per_hour)),
    merges_landed: sumOf(views, (v) => v.merges_landed),
    observed_ms: Math.max(...views.map((v) => v.observed_ms)),
    min_sample: views[0].min_sample,
    time_in_queue_ms: {
      p50: weightedMedian(inQueue),
      p95: maxOf(inQueue.map((p) => p.p95)),
      sample: inQueue.reduce((n, p) => n + p.sample, 0),
    },
    check_duration_ms: { p50: weightedMedian(checkDurations), sample: checkDurations.reduce((n, p) => n + p.sample, 0) },
    queue: {
      pending: sumOf(views, (v) => v.queue.pending),
      in_flight: sumOf(views, (v) => v.queue.in_flight),
      blocked: sumOf(views, (v) => v.queue.blocked),
    },
    head_of_line_age_ms: maxOf(views.map((v) => v.head_of_line_age_ms)),
    workers: sumOf(views, (v) => v.workers),
    workers_busy: sumOf(views, (v) => v.workers_busy),
    totals: {
      merged: sumOf(views, (v) => v.totals.merged),
      conflicts: sumOf(views, (v) => v.totals.conflicts),
      rejected: sumOf(views, (v) => v.totals.rejected),
    },
  };
}
