/**
 * The one retry schedule of the engine: exponential on the engine clock, capped. A
 * Refinery merge that could not run, a check run that failed to start, a stalled ref
 * update and a failed agent attempt all wait `backoffMs(n)` before the next try, so a
 * persistent fault costs one try a minute instead of a busy loop.
 */
export interface BackoffOptions {
  /** The wait after the first failure is `2 * baseMs`. */
  baseMs?: number;
  /** The longest wait. */
  maxMs?: number;
}

/** Milliseconds to wait after the `failures`-th consecutive failure (1, 2, ...). */
export function backoffMs(failures: number, { baseMs = 1_000, maxMs = 60_000 }: BackoffOptions = {}): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures));
}
