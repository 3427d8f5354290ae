/**
 * The Refinery's rates are over the window they name (issue 21): no hourly figure from a
 * few minutes ("n too small" instead), a rate from its window's landings over the time
 * observed, one definition read alike by the tiles, the stats table, the metrics (charts,
 * /metrics) and the CLI's JSON, and a window that survives a restart on the real store.
 * Virtual time over real git; validation takes modelled engine time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClockedChecks } from '../../server/checks/clocked-checks';
import { MIN_THROUGHPUT_SPAN_MS } from '../../server/engine/refinery-stats';
import type { Town } from '../../server/engine/town';
import { MetricsSampler } from '../../server/metrics/sampler';
import { refineryStatsView, townOverview } from '../../server/queries/town-view';
import { migrateDatabase } from '../../server/store/migrate';
import { PrismaStore } from '../../server/store/prisma-store';
import { openSqlitePrisma } from '../../server/store/sqlite';
import type { TownStore } from '../../server/engine/ports';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const MIN = 60_000;

let h: Harness | undefined;
let dbDir: string | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  if (dbDir) await rm(dbDir, { recursive: true, force: true });
  dbDir = undefined;
});

async function openTown(harness: Harness): Promise<{ town: Town; createdAt: number }> {
  const town = await harness.open();
  await town.rigs.add({ name: 'myproject', repoPath: harness.repoPath, settings: { agentWorkMs: 40_000 } });
  await town.polecats.add('myproject', 3);
  for (let i = 0; i < 30; i++) town.beads.create({ rig: 'myproject', title: `bead ${i}`, paths: [`area-${i}/`] });
  town.start();
  return { town, createdAt: town.rigs.get('myproject')!.createdAt };
}

const withChecks = (store?: TownStore) =>
  createHarness({ store, checks: (clock) => new ClockedChecks(clock, { durationMs: () => 10_000 }) });

describe('Refinery throughput', () => {
  it('says "n too small" after a few minutes instead of extrapolating them to an hour', async () => {
    h = await withChecks();
    const { town, createdAt } = await openTown(h);
    await runUntil(h.clock, town, () => town.rigs.refineryStats('myproject').landed >= 3, 10 * MIN);
    expect(h.clock.now() - createdAt).toBeLessThan(MIN_THROUGHPUT_SPAN_MS);
    const stats = town.rigs.refineryStats('myproject');
    expect(stats.mergesPerHour).toBeNull();
    // Every reader says the same: the tiles, the stats table (gt refinery stats), the metrics.
    const overview = townOverview(town);
    expect(overview.fleet.completionsPerHour).toBeNull();
    expect(overview.fleet.completions.landed).toBe(stats.landed);
    expect(overview.rigs[0].mergesPerHour).toBeNull();
    expect(refineryStatsView(town, 'myproject')).toMatchObject({ merges_per_hour: null, merges_landed: stats.landed });
    expect(new MetricsSampler({ town }).sample().rigs.myproject.throughput).toBeNull();
    // A conflict rate over fewer than 10 attempts says it is not a signal.
    expect(stats.conflictRate.enough).toBe(false);
    await town.stop();
  });

  it('is what landed in the window over the time observed, once that is long enough, and every reader agrees', async () => {
    h = await withChecks();
    const { town, createdAt } = await openTown(h);
    await runUntil(h.clock, town, () => h!.clock.now() - createdAt >= 20 * MIN, 30 * MIN);
    const stats = town.rigs.refineryStats('myproject');
    expect(stats.landed).toBeGreaterThan(3);
    expect(stats.observedMs).toBe(h.clock.now() - createdAt);
    expect(stats.mergesPerHour).toBeCloseTo((stats.landed * 60 * MIN) / stats.observedMs, 9);
    const rounded = Math.round(stats.mergesPerHour! * 10) / 10;
    expect(townOverview(town).fleet.completionsPerHour).toBe(rounded);
    expect(townOverview(town).rigs[0].mergesPerHour).toBe(rounded);
    expect(refineryStatsView(town, 'myproject').merges_per_hour).toBe(rounded);
    expect(new MetricsSampler({ town }).sample().rigs.myproject.throughput).toBe(stats.mergesPerHour);
    await town.stop();
  });
});

describe('the Refinery window across a restart', () => {
  it('keeps its samples and rates on SQLite: a restart does not restart the window', async () => {
    dbDir = await mkdtemp(path.join(os.tmpdir(), 'gt-rates-'));
    const dbFile = path.join(dbDir, 'gastown.db');
    await migrateDatabase(dbFile);
    const store1 = new PrismaStore(await openSqlitePrisma(dbFile));
    h = await withChecks(store1);
    const { town: town1, createdAt } = await openTown(h);
    await runUntil(h.clock, town1, () => h!.clock.now() - createdAt >= 20 * MIN, 30 * MIN);
    await town1.stop();
    const before = town1.rigs.refineryStats('myproject');
    expect(before.landed).toBeGreaterThan(3);
    await store1.close();

    const store2 = new PrismaStore(await openSqlitePrisma(dbFile));
    const town2 = await h.open({ store: store2 });
    const after = town2.rigs.refineryStats('myproject');
    expect(after.landed).toBe(before.landed);
    expect(after.attempts).toBe(before.attempts);
    expect(after.conflictRate).toEqual(before.conflictRate);
    expect(after.checkFailureRate.sample).toBe(before.checkFailureRate.sample);
    expect(after.timeInQueueMs).toEqual(before.timeInQueueMs);
    expect(after.mergesPerHour).toBe(before.mergesPerHour);
    expect(after.mergesPerHour).not.toBeNull();
    await town2.stop();
    await store2.close();
  });
});
