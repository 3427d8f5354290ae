/**
 * Time for the engine. Engine code never reads the wall clock nor calls setTimeout:
 * it asks a Clock, so the same logic runs on real time, on scaled real time (demos,
 * browser tests) and on virtual time (unit tests, simulations).
 */
export interface Clock {
  /** Milliseconds since the epoch, on this clock. */
  now(): number;
  /** Calls `fn` once after `delayMs` of this clock's time. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /**
   * Calls `fn` every `intervalMs` of this clock's time until the returned handle is
   * stopped: the one re-arming timer (patrols, samplers, pruning). The next tick is armed
   * before `fn` runs, so a throwing `fn` does not end the schedule and `fn` may stop it.
   */
  every(intervalMs: number, fn: () => void): Repeating;
  /** How many clock milliseconds pass per real millisecond (1 for real time). */
  readonly scale: number;
}

export interface TimerHandle {
  readonly id: number;
}

/** A schedule started by `Clock.every`. */
export interface Repeating {
  /** Cancels the pending tick; idempotent. */
  stop(): void;
}

/**
 * How long `realMs` of a person's time lasts on this clock: a "1 h" silence entered at
 * x20 is 20 h of engine time, so it ends after a real hour. A virtual clock has no real
 * time: counted 1:1.
 */
export function engineMsOf(clock: Pick<Clock, 'scale'>, realMs: number): number {
  return Number.isFinite(clock.scale) && clock.scale > 0 ? realMs * clock.scale : realMs;
}

/** `Clock.every` for any clock, on its one-shot timers. */
function repeatOn(clock: Clock, intervalMs: number, fn: () => void): Repeating {
  let timer: TimerHandle | null = null;
  const tick = () => {
    timer = clock.setTimer(intervalMs, tick);
    fn();
  };
  timer = clock.setTimer(intervalMs, tick);
  return {
    stop: () => {
      if (timer) clock.clearTimer(timer);
      timer = null;
    },
  };
}

/**
 * Real time, optionally sped up: with scale 20 a 10-minute engine window passes in 30 s.
 * The clock starts at the real time of construction and runs `scale` times faster.
 */
export class ScaledRealClock implements Clock {
  private readonly realStart: number;
  private readonly clockStart: number;
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  constructor(
    readonly scale = 1,
    startAt?: number,
  ) {
    if (!(scale > 0)) throw new RangeError(`time scale must be > 0, got ${scale}`);
    this.realStart = Date.now();
    this.clockStart = startAt ?? this.realStart;
  }

  now(): number {
    return this.clockStart + Math.round((Date.now() - this.realStart) * this.scale);
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, delayMs / this.scale),
    );
    this.timers.set(id, t);
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
  }

  every(intervalMs: number, fn: () => void): Repeating {
    return repeatOn(this, intervalMs, fn);
  }

  /** Cancels every pending timer (shutdown). */
  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

interface VirtualTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/** Stops a run that would loop forever (a timer re-arming itself at zero delay). */
const MAX_TIMERS_AT_ONE_INSTANT = 1_000_000;

/**
 * Virtual time for tests and the lab: nothing happens until the driver advances it.
 * Timers fire in (time, creation) order, so runs are deterministic. They sit in a binary
 * heap, so a lab run with tens of thousands of pending timers costs O(log n) per timer.
 */
export class VirtualClock implements Clock {
  readonly scale = Number.POSITIVE_INFINITY;
  private current: number;
  private seq = 0;
  private nextId = 1;
  private heap: VirtualTimer[] = [];
  private readonly cancelled = new Set<number>();
  private readonly live = new Set<number>();
  /** Timers fired so far: a simulation's event count. */
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

  every(intervalMs: number, fn: () => void): Repeating {
    return repeatOn(this, intervalMs, fn);
  }

  pendingTimers(): number {
    return this.live.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order, and awaits `settle` first and
   * after every timer, so async work one timer started (git, the store) finishes before
   * the next fires: fully deterministic. With `settleEach: 'instant'` it settles once per
   * instant that fired timers instead, so the timers of one instant run their async work
   * concurrently (the lab's thousands of polecats, where settling per timer costs too much).
   */
  async advance(
    ms: number,
    settle: () => Promise<void> = async () => {},
    options: { settleEach?: 'timer' | 'instant' } = {},
  ): Promise<void> {
    const perTimer = (options.settleEach ?? 'timer') === 'timer';
    const until = this.current + ms;
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
        if (++atThisInstant > MAX_TIMERS_AT_ONE_INSTANT)
          throw new Error('virtual clock stuck: timers keep firing at one instant');
        if (perTimer) await settle();
      }
      if (!perTimer) await settle();
    }
    this.current = Math.max(this.current, until);
  }

  // ------------------------------------------------------------------ the heap

  private before(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  /** The earliest live timer (cancelled ones are dropped on the way). */
  private peek(): VirtualTimer | undefined {
    while (this.heap.length > 0 && this.cancelled.has(this.heap[0].id)) {
      this.cancelled.delete(this.heap[0].id);
      this.pop();
    }
    return this.heap[0];
  }

  private push(t: VirtualTimer): void {
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

  private pop(): VirtualTimer | undefined {
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
