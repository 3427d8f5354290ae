/**
 * The history lab on generated histories with known overlap (real git): changes in
 * disjoint areas never conflict, changes that all rewrite one line nearly always do, one
 * seed gives one curve, a partial clone's missing objects are skipped and counted, and
 * the replay leaves the rig's repository as it was.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { replayHistory, type HistoryJob } from '../../server/lab/history/history';
import { replayOffLoop } from '../../server/lab/history/off-loop';
import { generateHistory, type GeneratedHistory } from '../support/history-repo';

const made: GeneratedHistory[] = [];
const history = (...args: Parameters<typeof generateHistory>) => {
  const g = generateHistory(...args);
  made.push(g);
  return g;
};
afterAll(() => made.forEach((g) => g.remove()));

const job = (repo: string, extra: Partial<HistoryJob> = {}): HistoryJob => ({
  rig: 'gen',
  repo,
  branch: 'main',
  maxN: 20,
  windows: 12,
  seed: 1,
  polecats: 0,
  ...extra,
});
const git = (repo: string, ...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });

describe('the history lab', () => {
  it('gives 0 conflicts at every N when changes touch disjoint areas', async () => {
    const g = history('disjoint', 120);
    const r = await replayHistory(job(g.repo));
    expect(r.windowsSampled).toBe(12);
    expect(r.curve).toHaveLength(20);
    expect(r.curve.every((p) => p.rate === 0 && p.windows === 12)).toBe(true);
    expect(r.reachesPainfulAt).toBeNull();
    // Each point carries its sample and an interval that stays above 0 with a small sample.
    expect(r.curve[19]).toMatchObject({ n: 20, windows: 12, changes: 240, skipped: 0, low: 0 });
    expect(r.curve[19].high).toBeGreaterThan(0);
  });

  it('gives a rate near 1 when every change rewrites one line, and says where it reaches 30%', async () => {
    const g = history('one-line', 120);
    const r = await replayHistory(job(g.repo));
    // The window's first change applies; every later one conflicts with it: (N-1)/N.
    expect(r.curve[0].rate).toBe(0);
    expect(r.curve[19].rate).toBe(0.95);
    expect(r.curve[19].low).toBeGreaterThan(0.85);
    expect(r.reachesPainfulAt).toBe(2);
  });

  it('gives the same curve for the same seed, a rising one on mixed work, and never writes to the rig', async () => {
    const g = history('mixed', 400, 7);
    const refsBefore = git(g.repo, 'for-each-ref');
    const objectsBefore = git(g.repo, 'count-objects', '-v');
    const a = await replayHistory(job(g.repo, { maxN: 30, windows: 20, seed: 5 }));
    const b = await replayHistory(job(g.repo, { maxN: 30, windows: 20, seed: 5 }));
    expect(b.curve).toEqual(a.curve);
    expect(b.partitions).toEqual(a.partitions);
    expect(a.curve[29].rate).toBeGreaterThan(a.curve[4].rate);
    expect(git(g.repo, 'for-each-ref')).toBe(refsBefore);
    expect(git(g.repo, 'count-objects', '-v')).toBe(objectsBefore);
    // Partitions: co-change candidates ranked, each part with its share and polecats.
    expect(a.partitions.length).toBeGreaterThan(0);
    expect(a.partitions[0].parts.every((p) => p.polecats >= 1)).toBe(true);
    expect(a.coChange[0].together).toBeGreaterThan(0);
  });

  it('skips and counts the windows whose objects a partial clone lacks', async () => {
    const g = history('mixed', 120, 3);
    git(g.repo, 'config', 'uploadpack.allowFilter', 'true');
    const clone = `${g.repo}-partial`;
    execFileSync('git', ['clone', '-q', '--filter=blob:none', '--no-local', `file://${g.repo}`, clone]);
    try {
      const r = await replayHistory(job(clone, { maxN: 10, windows: 6 }));
      expect(r.windowsSampled).toBe(6);
      expect(r.windowsSkipped).toBeGreaterThan(0);
      expect(r.curve[9].skipped).toBe(r.windowsSkipped);
      expect(r.curve[9].windows).toBe(6 - r.windowsSkipped);
      expect(r.notes.join(' ')).toMatch(/missing objects/);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });

  it('runs in a worker thread and reports progress per window', async () => {
    const g = history('one-line', 60);
    const progress: number[] = [];
    const r = await replayOffLoop(job(g.repo, { maxN: 10, windows: 5 }), (done) => progress.push(done));
    expect(progress).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.curve[9].rate).toBe(0.9);
  });
});
