/**
 * The Refinery's timings as Prometheus histograms, fed by the town's events: how long a
 * merge request waited from its first enqueue to landing (`mr.merged`, engine time) and
 * how long a check run took (`refinery.validated`, real time). Gauges of the latest
 * sample cannot answer "what is the p95 wait this hour"; a histogram can, with
 * `histogram_quantile` over `rate(..._bucket[1h])`.
 *
 * The buckets fit minutes-long work: a real test suite runs for 5 to 30 minutes and a
 * busy queue holds a request for an hour or more, so the default prom-client buckets
 * (5 ms to 10 s) would put every observation in +Inf.
 */
import { Histogram, type Registry } from 'prom-client';
import type { EventBus } from '../engine/events';

/** Seconds: 5 s to 4 h. */
export const QUEUE_WAIT_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 14_400];
/** Seconds: 1 s to 1 h. */
export const CHECK_DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1_800, 3_600];

export class RefineryHistograms {
  readonly queueWait = new Histogram({
    name: 'gt_merge_queue_wait_seconds',
    help: 'Engine seconds a merge request spent from its first enqueue to landing, per rig',
    labelNames: ['rig'],
    buckets: QUEUE_WAIT_BUCKETS,
    registers: [],
  });
  readonly checkDuration = new Histogram({
    name: 'gt_check_duration_seconds',
    help: "Seconds a Refinery check run took (the rig's validation commands), per rig and result",
    labelNames: ['rig', 'result'],
    buckets: CHECK_DURATION_BUCKETS,
    registers: [],
  });

  /** Observes the town's merges and check runs until the returned function is called. */
  attach(bus: Pick<EventBus, 'subscribe'>): () => void {
    return bus.subscribe((event) => {
      if (event.type === 'mr.merged') this.queueWait.observe({ rig: event.rig }, event.queueMs / 1000);
      else if (event.type === 'refinery.validated')
        this.checkDuration.observe({ rig: event.rig, result: event.ok ? 'passed' : 'failed' }, event.durationMs / 1000);
    });
  }

  registerWith(register: Registry): void {
    register.registerMetric(this.queueWait);
    register.registerMetric(this.checkDuration);
  }
}
