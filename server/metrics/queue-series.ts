/**
 * Merge-queue depth over time, per rig, sampled on the engine clock into a bounded ring
 * buffer (the charts' history). Bounded on purpose: a day-long session must not grow
 * memory; long-range, persisted and downsampled series come with the metrics registry.
 */
import type { Clock, TimerHandle } from '../engine/clock';
import type { Town } from '../engine/town';

export interface QueuePoint {
  /** Engine-clock time of the sample, ms. */
  at: number;
  /** Queue depth (queued + merging) per rig. */
  depth: Record<string, number>;
  /** Running totals across the town, so a chart can show merges landing. */
  merged: number;
  conflicts: number;
}

export class QueueSeries {
  private readonly points: QueuePoint[] = [];
  private timer: TimerHandle | null = null;
  private readonly listeners = new Set<(p: QueuePoint) => void>();

  constructor(
    private readonly town: Town,
    private readonly clock: Clock,
    readonly intervalMs = 2_000,
    readonly capacity = 1_800,
  ) {}

  start(): void {
    const tick = () => {
      this.sample();
      this.timer = this.clock.setTimer(this.intervalMs, tick);
    };
    tick();
  }

  stop(): void {
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  onPoint(listener: (p: QueuePoint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  history(): QueuePoint[] {
    return [...this.points];
  }

  sample(): QueuePoint {
    const depth: Record<string, number> = {};
    let merged = 0;
    let conflicts = 0;
    for (const rig of this.town.listRigs()) {
      depth[rig.name] = this.town.queueDepth(rig.name);
      merged += rig.counters.merged;
      conflicts += rig.counters.conflicts;
    }
    const point: QueuePoint = { at: this.clock.now(), depth, merged, conflicts };
    this.points.push(point);
    if (this.points.length > this.capacity) this.points.splice(0, this.points.length - this.capacity);
    for (const l of this.listeners) l(point);
    return point;
  }
}
