/**
 * Sliding-window statistics of one Refinery: what the seed asks operators to watch
 * (conflict rate, throughput) plus what explains it (time in queue, check failures).
 * Every rate carries its sample size: 50% over 2 attempts is not a signal, and below
 * MIN_RATE_SAMPLE it says so (`enough: false`). Throughput is what landed in the window
 * over the time the window was observed, and none ("n too small", null) until that time
 * reaches MIN_THROUGHPUT_SPAN_MS: four merges in 18 s are not 800 an hour.
 * The window is rebuilt from the event log when the engine opens (stats-history.ts), and
 * observation starts when the rig was created, so a restart does not restart the rates.
 * Bounded: entries older than the window, or beyond `maxEntries`, are dropped.
 * The one definition of these figures: the pages, the CLI and the metrics all read it.
 */

import { percentile } from './stats';
import { MIN_RATE_SAMPLE, MIN_THROUGHPUT_SPAN_MS } from '../../contracts/metrics';

export { MIN_RATE_SAMPLE, MIN_THROUGHPUT_SPAN_MS };
export type AttemptOutcome = 'merged' | 'conflicted' | 'rejected';

interface Attempt {
  at: number;
  outcome: AttemptOutcome;
  /** Engine ms from first enqueue to landing (merged only). */
  queueMs: number | null;
}

interface Validation {
  at: number;
  ok: boolean;
  durationMs: number;
}

export interface Rate {
  /** 0-1, or null when there is no sample. */
  rate: number | null;
  count: number;
  sample: number;
  /** At least MIN_RATE_SAMPLE: a rate to act on. */
  enough: boolean;
}

export interface RefineryStatsSnapshot {
  windowMs: number;
  attempts: number;
  conflictRate: Rate;
  checkFailureRate: Rate;
  /** Landed per hour over the observed part of the window; null ("n too small") below MIN_THROUGHPUT_SPAN_MS. */
  mergesPerHour: number | null;
  /** Merges landed in the window. */
  landed: number;
  /** How much of the window was observed: all of it, or the rig's age when younger. */
  observedMs: number;
  timeInQueueMs: { p50: number | null; p95: number | null; sample: number };
  checkDurationMs: { p50: number | null; sample: number };
}

export const DEFAULT_STATS_WINDOW_MS = 3_600_000;
const MAX_ENTRIES = 5_000;

export function rate(count: number, sample: number): Rate {
  return { rate: sample > 0 ? count / sample : null, count, sample, enough: sample >= MIN_RATE_SAMPLE };
}

/** Landed per hour over `observedMs`, or null while that span is too short to say. */
export function perHour(landed: number, observedMs: number): number | null {
  return observedMs < MIN_THROUGHPUT_SPAN_MS ? null : (landed * 3_600_000) / observedMs;
}

export class RefineryStats {
  private attempts: Attempt[] = [];
  private validations: Validation[] = [];

  /** @param startedAt when recording began: throughput over a shorter life is not diluted. */
  constructor(
    private readonly startedAt: number,
    readonly windowMs = DEFAULT_STATS_WINDOW_MS,
  ) {}

  recordAttempt(at: number, outcome: AttemptOutcome, queueMs: number | null = null): void {
    this.attempts.push({ at, outcome, queueMs });
    if (this.attempts.length > MAX_ENTRIES) this.attempts.splice(0, this.attempts.length - MAX_ENTRIES);
  }

  recordValidation(at: number, ok: boolean, durationMs: number): void {
    this.validations.push({ at, ok, durationMs });
    if (this.validations.length > MAX_ENTRIES) this.validations.splice(0, this.validations.length - MAX_ENTRIES);
  }

  snapshot(now: number): RefineryStatsSnapshot {
    const since = now - this.windowMs;
    this.attempts = this.attempts.filter((a) => a.at >= since);
    this.validations = this.validations.filter((v) => v.at >= since);
    return summarize(this.attempts, this.validations, this.windowMs, this.observedMs(now));
  }

  /** How much of the window this Refinery has actually been observed for. */
  observedMs(now: number): number {
    return Math.max(1, Math.min(this.windowMs, now - this.startedAt));
  }

  /** Raw entries in the window, to combine several rigs into town-wide figures. */
  entries(now: number): { attempts: readonly Attempt[]; validations: readonly Validation[] } {
    this.snapshot(now);
    return { attempts: this.attempts, validations: this.validations };
  }
}

function summarize(
  attempts: readonly Attempt[],
  validations: readonly Validation[],
  windowMs: number,
  observedMs: number,
): RefineryStatsSnapshot {
  const merged = attempts.filter((a) => a.outcome === 'merged');
  const conflicts = attempts.filter((a) => a.outcome === 'conflicted').length;
  const failedChecks = validations.filter((v) => !v.ok).length;
  const queueTimes = merged.map((a) => a.queueMs).filter((q): q is number => q !== null);
  return {
    windowMs,
    attempts: attempts.length,
    conflictRate: rate(conflicts, attempts.length),
    checkFailureRate: rate(failedChecks, validations.length),
    mergesPerHour: perHour(merged.length, observedMs),
    landed: merged.length,
    observedMs,
    timeInQueueMs: { p50: percentile(queueTimes, 50), p95: percentile(queueTimes, 95), sample: queueTimes.length },
    checkDurationMs: {
      p50: percentile(
        validations.map((v) => v.durationMs),
        50,
      ),
      sample: validations.length,
    },
  };
}

/** Town-wide figures over several rigs' windows. */
export function combineStats(all: RefineryStats[], now: number, windowMs = DEFAULT_STATS_WINDOW_MS): RefineryStatsSnapshot {
  const attempts: Attempt[] = [];
  const validations: Validation[] = [];
  let observedMs = 1;
  for (const s of all) {
    const e = s.entries(now);
    attempts.push(...e.attempts);
    validations.push(...e.validations);
    observedMs = Math.max(observedMs, s.observedMs(now));
  }
  return summarize(attempts, validations, windowMs, observedMs);
}
