/**
 * Summary statistics shared by the engine's reports (the Refinery's queue times, the
 * Deacon's gate latencies, the limiter's waits), the lab and the benchmarks.
 */

/**
 * The p-th percentile (0-100) by nearest rank: the smallest value with at least p% of the
 * values at or below it, so it is always one of the values (of 5 samples, p95 is the
 * largest). Null for no values: a figure with no sample is unknown, not zero.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
