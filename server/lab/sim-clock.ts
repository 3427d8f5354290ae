/**
 * The lab's virtual clock: the engine's `Clock` on simulated time, built for runs of
 * thousands of polecats. Same contract as `VirtualClock` (timers fire in (time, creation)
 * order, nothing moves until the driver advances), but timers sit in a binary heap, so
 * a run with tens of thousands of pending timers stays O(log n) per timer instead of a
 * scan of every timer per step.
 */
import type { Clock, TimerHandle } from '../engine/clock';

interface SimTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/** Stops a run that would loop forever (a timer re-arming itself at zero delay). */
const MAX_TIMERS_AT_ONE_INSTANT = 1_000_000;

export class SimClock implements Clock {
  readonly scale = Number.POSITIVE_INFINITY;
  private current: number;
  private seq = 0;
  private nextId = 1;
  private heap: SimTimer[] = [];
  private readonly cancelled = new Set<number>();
  private readonly live = new Set<number>();
  /** Timers fired so far: the simulation's event count. */
  fired = 0;

  constructor(startAt = Date.UTC(2026, 0, 1)) {
    this.current = startAt;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.live.add(id);
    this.push({ id, at: this.current + Math.max(0, delayMs), seq: this.seq++, fn });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    // Lazy deletion: the entry is skipped when it surfaces.
    if (this.live.delete(handle.id)) this.cancelled.add(handle.id);
  }

  pendingTimers(): number {
    return this.live.size;
  }

  /**
   * Moves time to `until`, firing due timers in order. After every instant that fired
   * timers it awaits `settle`, so async work those timers started (modelled git, the
   * store's write chain) finishes before time moves on, as on VirtualClock.
   */
  async runUntil(until: number, settle: () => Promise<void>): Promise<void> {
    await settle();
    for (;;) {
      const top = this.peek();
      if (!top || top.at > until) break;
      this.current = Math.max(this.current, top.at);
      let atThisInstant = 0;
      while (this.peek()?.at === this.current) {
        const t = this.pop()!;
        this.live.delete(t.id);
        this.fired++;
        t.fn();
        if (++atThisInstant > MAX_TIMERS_AT_ONE_INSTANT) throw new Error('simulation stuck: timers keep firing at one instant');
      }
      await settle();
    }
    this.current = Math.max(this.current, until);
  }

  // ------------------------------------------------------------------ the heap

  private before(a: SimTimer, b: SimTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  /** The earliest live timer (cancelled ones are dropped on the way). */
  private peek(): SimTimer | undefined {
    while (this.heap.length > 0 && this.cancelled.has(this.heap[0].id)) {
      this.cancelled.delete(this.heap[0].id);
      this.pop();
    }
    return this.heap[0];
  }

  private push(t: SimTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): SimTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
