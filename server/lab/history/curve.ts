/**
 * From replayed windows to the conflict curve: for each N, the windows that reached N
 * changes, the mean share of their first N changes that conflicted (or could not apply),
 * and a 95% interval. A window's prefix of N changes is itself a window of N (each
 * change's outcome depends only on the changes before it), so one replay to maxN gives
 * every smaller N.
 *
 * The interval is the wider of two: the normal interval over window rates (windows, not
 * changes, are the independent draws: changes of one window share their history) and
 * the Wilson interval over the pooled changes (which stays honest when every window
 * says 0 or 1).
 */
import type { CurvePoint } from '../../../contracts/lab-history';
import type { WindowReplay } from './replay';

const Z = 1.96;

export function wilson(successes: number, trials: number): [number, number] {
  if (trials === 0) return [0, 1];
  const p = successes / trials;
  const denominator = 1 + (Z * Z) / trials;
  const centre = (p + (Z * Z) / (2 * trials)) / denominator;
  const half = (Z * Math.sqrt((p * (1 - p)) / trials + (Z * Z) / (4 * trials * trials))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function conflictCurve(replays: readonly WindowReplay[], maxN: number): CurvePoint[] {
  const curve: CurvePoint[] = [];
  for (let n = 1; n <= maxN; n++) {
    const rates: number[] = [];
    let conflicts = 0;
    let skipped = 0;
    for (const replay of replays) {
      if (replay.changes.length < n) {
        if (replay.missing) skipped++;
        continue;
      }
      const bad = replay.changes.slice(0, n).filter((c) => c.outcome !== 'landed').length;
      conflicts += bad;
      rates.push(bad / n);
    }
    if (rates.length === 0) {
      curve.push({ n, rate: 0, low: 0, high: 1, windows: 0, changes: 0, skipped });
      continue;
    }
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    const sd = rates.length > 1 ? Math.sqrt(rates.reduce((a, r) => a + (r - mean) ** 2, 0) / (rates.length - 1)) : 0.5;
    const half = (Z * sd) / Math.sqrt(rates.length);
    const [wLow, wHigh] = wilson(conflicts, rates.length * n);
    curve.push({
      n,
      rate: round(mean),
      low: round(Math.max(0, Math.min(mean - half, wLow))),
      high: round(Math.min(1, Math.max(mean + half, wHigh))),
      windows: rates.length,
      changes: rates.length * n,
      skipped,
    });
  }
  return curve;
}

/** The smallest N (with a sample) whose rate reaches `rate`, or null. */
export function reachesRateAt(curve: readonly CurvePoint[], rate: number): number | null {
  return curve.find((p) => p.windows > 0 && p.rate >= rate)?.n ?? null;
}
