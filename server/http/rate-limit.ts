/**
 * Failed sign-ins and bad tokens, counted per client address: after `max` failures in a
 * window the address is refused (429 with Retry-After) until the window ends, even with a
 * right token, so guessing a token costs a window per `max` tries. Successes do not count.
 *
 * Fixed windows per address in one Map bounded to `maxAddresses` entries: when full, the
 * oldest window goes first (a flood of addresses cannot grow memory, it can only forget).
 * Wall-clock time on purpose, like session expiry: GT_TIME_SCALE must not shorten it.
 */

export interface FailureLimiterOptions {
  max?: number;
  windowMs?: number;
  maxAddresses?: number;
  now?: () => number;
}

interface Window {
  start: number;
  failures: number;
}

export class FailureLimiter {
  readonly max: number;
  readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();

  constructor(options: FailureLimiterOptions = {}) {
    this.max = options.max ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  private current(address: string): Window | null {
    const w = this.windows.get(address);
    if (!w) return null;
    if (this.now() - w.start >= this.windowMs) {
      this.windows.delete(address);
      return null;
    }
    return w;
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  retryAfter(address: string): number {
    const w = this.current(address);
    if (!w || w.failures < this.max) return 0;
    return Math.max(1, Math.ceil((w.start + this.windowMs - this.now()) / 1000));
  }

  /** Counts one failure of `address`. */
  fail(address: string): void {
    const w = this.current(address);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= this.maxAddresses) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(address, { start: this.now(), failures: 1 });
  }

  /** How many addresses are being tracked (for tests and /metrics). */
  get size(): number {
    return this.windows.size;
  }
}
