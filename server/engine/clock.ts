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
  /** How many clock milliseconds pass per real millisecond (1 for real time). */
  readonly scale: number;
}

export interface TimerHandle {
  readonly id: number;
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

/**
 * Virtual time: nothing happens until the test (or simulation) advances it. Timers fire
 * in (time, creation) order, so runs are deterministic. `advance` optionally awaits a
 * `settle` callback between timers so async work started by one timer (git, store)
 * finishes before the next fires.
 */
export class VirtualClock implements Clock {
  readonly scale = Number.POSITIVE_INFINITY;
  private current: number;
  private seq = 0;
  private nextId = 1;
  private readonly timers = new Map<number, VirtualTimer>();

  constructor(startAt = Date.UTC(2026, 0, 1)) {
    this.current = startAt;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.current + Math.max(0, delayMs), seq: this.seq++, fn });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  private nextDue(limit: number): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  async advance(ms: number, settle: () => Promise<void> = async () => {}): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (;;) {
      const t = this.nextDue(until);
      if (!t) break;
      this.timers.delete(t.id);
      this.current = Math.max(this.current, t.at);
      t.fn();
      await settle();
    }
    this.current = until;
  }
}
