/**
 * The overview's charts across a split and a merge back (issue 21), on virtual time over
 * real git: the sampler's series as the charts read them. A retired rig's queue line ends
 * at its true 0 instead of drawing its last depth on; partitions keep their history after
 * the merge; the throughput series says "n too small" rather than nothing; a partition's
 * rate is its own, from a fresh window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../contracts/events';
import type { MetricName } from '../../contracts/metrics';
import { ClockedChecks } from '../../server/checks/clocked-checks';
import { MIN_THROUGHPUT_SPAN_MS } from '../../server/engine/refinery-stats';
import type { Town } from '../../server/engine/town';
import { MetricsSampler } from '../../server/metrics/sampler';
import { SeriesRecorder } from '../../server/metrics/series';
import { MemoryMetricsStore } from '../../server/metrics/series-store';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const MIN = 60_000;
const AREAS = ['core', 'ui'];
const PARTITIONS = AREAS.map((a) => ({ name: `app-${a}`, globs: [`${a}/**`] }));

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

async function openTown() {
  h = await createHarness({ checks: (clock) => new ClockedChecks(clock, { durationMs: () => 20_000 }) });
  const town = await h.open();
  const events: DomainEvent[] = [];
  town.bus.subscribe((e) => events.push(e));
  await town.rigs.add({ name: 'app', repoPath: h.repoPath, settings: { agentWorkMs: 30_000 } });
  await town.polecats.add('app', 6);
  for (let i = 0; i < 150; i++) town.beads.create({ rig: 'app', title: `bead ${i}`, paths: [`${AREAS[i % 2]}/`] });
  const recorder = new SeriesRecorder({ store: new MemoryMetricsStore(), clock: h.clock });
  const sampler = new MetricsSampler({ town });
  sampler.onSnapshot((s) => recorder.record(s));
  town.start();
  sampler.start();
  const query = async (metric: MetricName, series: string) => {
    await recorder.flush();
    const now = h!.clock.now();
    return recorder.query({ metric, series, from: now - 2 * 3_600_000, to: now, maxPoints: 5_000 }); // raw 10 s points
  };
  return { town, events, query, sampler, harness: h };
}

const run = (harness: Harness, town: Town, ms: number) => runUntil(harness.clock, town, () => false, ms, 5_000);

describe('charts across split and merge', () => {
  it('says n too small on the throughput series at first, ends a retired rig at 0 and keeps partitions after merge', async () => {
    const { town, events, query, sampler, harness } = await openTown();
    await run(harness, town, 5 * MIN);
    // Merges have landed, but five minutes are not an hour: the series says so instead of drawing nothing.
    expect(town.rigs.refineryStats().landed).toBeGreaterThan(0);
    const early = await query('throughput', '');
    expect(early.points.length).toBeGreaterThan(0);
    expect(early.points.every((p) => p.value === null)).toBe(true);
    expect(early.note).toMatch(/n too small/);
    await run(harness, town, MIN_THROUGHPUT_SPAN_MS);
    const later = await query('throughput', '');
    expect(later.note).toBeNull();
    expect(later.points.at(-1)!.value).toBeGreaterThan(0);

    // Split right after a sample that saw a queue: the line must not go on drawing it.
    const queued = () => (sampler.latest()?.rigs.app?.queue_depth ?? 0) >= 2;
    await runUntil(harness.clock, town, queued, 30 * MIN, 1_000);
    expect(queued()).toBe(true);
    const parentRate = town.rigs.refineryStats('app').mergesPerHour;
    expect(parentRate).toBeGreaterThan(0);
    await town.rigs.split('app', { partitions: PARTITIONS }, 'test');
    const splitAt = harness.clock.now();
    // A partition's rate is its own: a fresh window, not its parent's hour.
    expect(town.rigs.refineryStats('app-core').mergesPerHour).toBeNull();
    expect(town.rigs.refineryStats('app-core').landed).toBe(0);
    await run(harness, town, 3 * MIN);

    const parent = (await query('queue_depth', 'app')).points;
    expect(parent.at(-2)!.value).toBeGreaterThanOrEqual(2);
    // One last sample at its true 0 after the split, then nothing: the line ends.
    expect(parent.at(-1)!.value).toBe(0);
    expect(parent.at(-1)!.at).toBeGreaterThanOrEqual(splitAt);
    expect(parent.at(-1)!.at).toBeLessThanOrEqual(splitAt + sampler.intervalMs);
    expect((await query('queue_depth', 'app-core')).points.length).toBeGreaterThan(0);

    await run(harness, town, MIN_THROUGHPUT_SPAN_MS);
    const core = town.rigs.refineryStats('app-core');
    const coreLanded = events.filter((e) => e.type === 'mr.merged' && e.rig === 'app-core' && e.at > splitAt).length;
    expect(core.landed).toBe(coreLanded);
    expect(core.mergesPerHour).toBeCloseTo((coreLanded * 3_600_000) / (harness.clock.now() - splitAt), 5);

    await town.rigs.merge('app-core', 'test');
    const mergedAt = harness.clock.now();
    await run(harness, town, 3 * MIN);
    for (const partition of ['app-core', 'app-ui']) {
      const points = (await query('queue_depth', partition)).points;
      // Its history up to the merge stays, and ends at its true 0.
      expect(points.filter((p) => p.at > splitAt && p.at < mergedAt).length).toBeGreaterThan(10);
      expect(points.at(-1)!.value).toBe(0);
      expect(points.at(-1)!.at).toBeLessThanOrEqual(mergedAt + sampler.intervalMs);
    }
    expect((await query('queue_depth', 'app')).points.at(-1)!.at).toBeGreaterThan(mergedAt + MIN);
    sampler.stop();
    await town.stop();
  }, 300_000);
});
