/**
 * The history lab's arithmetic on replayed windows: a point's sample and interval, the
 * windows cut short by missing objects, where the curve reaches 30%, and how partitions
 * are judged (a split helps only where changes stay inside their parts).
 */
import { describe, expect, it } from 'vitest';
import { conflictCurve, reachesRateAt } from '../../server/lab/history/curve';
import { rankPartitions } from '../../server/lab/history/co-change';
import { sampleStarts } from '../../server/lab/history/history';
import type { HistoryChange } from '../../server/lab/history/log';
import type { ReplayOutcome, WindowReplay } from '../../server/lab/history/replay';

const window = (start: number, outcomes: ReplayOutcome[], missing = false): WindowReplay => ({
  start,
  missing,
  changes: outcomes.map((outcome, i) => ({ index: start + i, outcome, conflictFiles: outcome === 'landed' ? [] : ['f'] })),
});

describe('the conflict curve', () => {
  it('gives each N its windows, changes and an interval, and counts windows cut short as skipped', () => {
    const replays = [
      window(1, ['landed', 'conflicted', 'landed', 'conflicted']),
      window(10, ['landed', 'landed', 'landed', 'landed']),
      window(20, ['landed', 'cannot-apply'], true),
    ];
    const curve = conflictCurve(replays, 4);
    expect(curve[1]).toMatchObject({ n: 2, windows: 3, changes: 6, skipped: 0 });
    expect(curve[1].rate).toBeCloseTo((0.5 + 0 + 0.5) / 3, 3);
    expect(curve[3]).toMatchObject({ n: 4, windows: 2, changes: 8, skipped: 1, rate: 0.25 });
    expect(curve[3].low).toBeLessThan(0.25);
    expect(curve[3].high).toBeGreaterThan(0.25);
    expect(reachesRateAt(curve, 0.3)).toBe(2);
  });

  it('keeps the interval above 0 when every window says 0, and says the rate never reaches 30%', () => {
    const curve = conflictCurve([window(1, ['landed', 'landed']), window(5, ['landed', 'landed'])], 2);
    expect(curve[1]).toMatchObject({ rate: 0, low: 0 });
    expect(curve[1].high).toBeGreaterThan(0.2);
    expect(reachesRateAt(curve, 0.3)).toBeNull();
  });

  it('draws the same distinct window starts for the same seed', () => {
    const starts = Array.from({ length: 100 }, (_, i) => i + 1);
    const a = sampleStarts(starts, 10, 7);
    expect(sampleStarts(starts, 10, 7)).toEqual(a);
    expect(new Set(a).size).toBe(10);
    expect(sampleStarts(starts, 10, 8)).not.toEqual(a);
    expect(sampleStarts([3, 4], 10, 7)).toEqual([3, 4]);
  });
});

describe('partitions ranked by the conflicts a split leaves', () => {
  // Changes alternate between core/ and ui/; every core change conflicts, ui ones land.
  const history: HistoryChange[] = Array.from({ length: 41 }, (_, i) => ({
    commit: `c${i}`,
    tree: `t${i}`,
    parent: i ? `c${i - 1}` : null,
    files: [i % 2 ? 'core/a.ts' : 'ui/b.ts'],
  }));
  const replays = [1, 11, 21].map((start) =>
    window(
      start,
      Array.from({ length: 20 }, (_, i) => ((start + i) % 2 ? 'conflicted' : 'landed')),
    ),
  );

  it('gives each part its share of the polecats and its own rate; the clean part comes out at 0', () => {
    const [ranked] = rankPartitions(
      [
        {
          source: 'co-change',
          partitions: [
            { name: 'r-core', globs: ['core/**'] },
            { name: 'r-ui', globs: ['ui/**'] },
          ],
        },
      ],
      history,
      replays,
      10,
      0.5,
      'r',
    );
    expect(ranked.spanningShare).toBe(0);
    expect(ranked.parts.map((p) => [p.name, p.share, p.polecats, p.rate])).toEqual([
      ['r-core', 0.5, 5, 1],
      ['r-ui', 0.5, 5, 0],
    ]);
    expect(ranked.rate).toBe(0.5);
  });

  it('counts changes touching two parts as spanning, and none when one part owns both paths', () => {
    const spanning: HistoryChange[] = history.map((c, i) => ({ ...c, files: i % 4 === 1 ? ['core/a.ts', 'ui/b.ts'] : c.files }));
    const ranked = rankPartitions(
      [
        {
          source: 'co-change',
          partitions: [
            { name: 'r-core', globs: ['core/**'] },
            { name: 'r-ui', globs: ['ui/**'] },
          ],
        },
        { source: 'suggestion', partitions: [{ name: 'r-all', globs: ['core/**', 'ui/**'] }] },
      ],
      spanning,
      replays,
      10,
      0.5,
      'r',
    );
    expect(ranked.find((r) => r.source === 'co-change')!.spanningShare).toBeGreaterThan(0);
    expect(ranked.find((r) => r.source === 'suggestion')!.spanningShare).toBe(0);
  });
});
