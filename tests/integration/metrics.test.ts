/**
 * Metrics: the sampler on a real town (real git, virtual time) reads what the seed asks
 * operators to watch; the series are persisted with 10 s points for a day and minute
 * rollups for 30 days, pruned on the engine clock, and queried by range; both series
 * stores behave alike (SQLite and PostgreSQL through Prisma, and memory); /metrics speaks
 * Prometheus.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAlertStore } from '@/server/alerts/store';
import { VirtualClock } from '@/server/engine/clock';
import type { Town } from '@/server/engine/town';
import type { MetricSnapshot } from '@/contracts/metrics';
import { createMonitoring } from '@/server/metrics/monitoring';
import { PrismaMetricsStore } from '@/server/metrics/prisma-series-store';
import { createPrometheusRegistry } from '@/server/metrics/prometheus';
import { SeriesRecorder } from '@/server/metrics/series';
import { MINUTE_RESOLUTION_MS, MemoryMetricsStore, RAW_RESOLUTION_MS, type MetricsStore } from '@/server/metrics/series-store';
import type { StoreClient } from '@/server/store/client';
import { migrateDatabase } from '@/server/store/migrate';
import { openSqlitePrisma } from '@/server/store/sqlite';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';
import { openTestPostgres } from '../support/postgres';

const HOUR = 3_600_000;
let tmp: string;
let prisma: StoreClient;
/** A fresh PostgreSQL database for this file, dropped at the end. */
let postgres: Awaited<ReturnType<typeof openTestPostgres>>;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gt-metrics-'));
  const file = path.join(tmp, 'gastown.db');
  await migrateDatabase(file);
  prisma = await openSqlitePrisma(file);
  postgres = await openTestPostgres();
});
afterAll(async () => {
  await prisma?.$disconnect();
  await postgres?.close();
  await rm(tmp, { recursive: true, force: true });
});

const stores: Array<{ name: string; make: () => Promise<MetricsStore> }> = [
  { name: 'MemoryMetricsStore', make: async () => new MemoryMetricsStore() },
  {
    name: 'PrismaMetricsStore on SQLite',
    make: async () => {
      await prisma.metricPoint.deleteMany({});
      return new PrismaMetricsStore(prisma);
    },
  },
  {
    name: 'PrismaMetricsStore on PostgreSQL',
    make: async () => {
      await postgres.client.metricPoint.deleteMany({});
      return new PrismaMetricsStore(postgres.client);
    },
  },
];

function snapshot(at: number, depth: number): MetricSnapshot {
  return {
    at,
    town: { queue_depth: depth * 2, patrol_duration: 30 },
    rigs: { a: { queue_depth: depth }, b: { queue_depth: depth } },
  };
}

describe.each(stores)('$name', ({ make }) => {
  it('keeps rows by tier and series, in time order, and prunes by tier', async () => {
    const store = await make();
    await store.appendSeries([
      { resolutionMs: RAW_RESOLUTION_MS, at: 20.5, series: 'a', values: { queue_depth: 2 }, max: null },
      { resolutionMs: RAW_RESOLUTION_MS, at: 10.25, series: 'a', values: { queue_depth: 1, conflict_rate: null }, max: null },
      { resolutionMs: RAW_RESOLUTION_MS, at: 15, series: '', values: { queue_depth: 9 }, max: null },
      { resolutionMs: MINUTE_RESOLUTION_MS, at: 0, series: 'a', values: { queue_depth: 1.5 }, max: { queue_depth: 2 } },
    ]);
    expect(await store.listSeries({ resolutionMs: RAW_RESOLUTION_MS, series: 'a', from: 0, to: 100 })).toEqual([
      { resolutionMs: RAW_RESOLUTION_MS, at: 10.25, series: 'a', values: { queue_depth: 1, conflict_rate: null }, max: null },
      { resolutionMs: RAW_RESOLUTION_MS, at: 20.5, series: 'a', values: { queue_depth: 2 }, max: null },
    ]);
    expect(await store.listSeries({ resolutionMs: RAW_RESOLUTION_MS, series: 'a', from: 11, to: 20.5 })).toHaveLength(1);
    expect(await store.listSeries({ resolutionMs: MINUTE_RESOLUTION_MS, series: 'a', from: 0, to: 0 })).toEqual([
      { resolutionMs: MINUTE_RESOLUTION_MS, at: 0, series: 'a', values: { queue_depth: 1.5 }, max: { queue_depth: 2 } },
    ]);
    expect(await store.pruneSeries(RAW_RESOLUTION_MS, 16)).toBe(2);
    expect(await store.countSeries(RAW_RESOLUTION_MS)).toBe(1);
    expect(await store.countSeries(MINUTE_RESOLUTION_MS)).toBe(1);
  });

  it('writes minute rollups (average and maximum) as samples of the next minute arrive', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const store = await make();
    const recorder = new SeriesRecorder({ store, clock });
    const start = clock.now();
    for (let i = 0; i < 13; i++) recorder.record(snapshot(start + i * 10_000, i)); // 0 s .. 120 s
    await recorder.flush();
    expect(await store.countSeries(RAW_RESOLUTION_MS)).toBe(13 * 3);
    const minutes = await store.listSeries({
      resolutionMs: MINUTE_RESOLUTION_MS,
      series: 'a',
      from: start,
      to: start + 10 * 60_000,
    });
    expect(minutes.map((m) => m.at)).toEqual([start, start + 60_000]);
    expect(minutes[0].values.queue_depth).toBeCloseTo(2.5); // 0..5
    expect(minutes[0].max!.queue_depth).toBe(5);
    expect(minutes[1].values.queue_depth).toBeCloseTo(8.5); // 6..11
    const town = await store.listSeries({ resolutionMs: MINUTE_RESOLUTION_MS, series: '', from: start, to: start });
    expect(town[0].values).toMatchObject({ queue_depth: 5, patrol_duration: 30 });
  });
});

describe('metric series over days', () => {
  it('keeps 10 s points for 24 h and minute points for 30 days, and answers ranges from the right tier', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryMetricsStore();
    const recorder = new SeriesRecorder({ store, clock });
    recorder.start();
    const start = clock.now();
    // 26 hours of samples every 10 s, on the clock, with the recorder's pruning running.
    clock.every(10_000, () => {
      const i = (clock.now() - start) / 10_000;
      recorder.record(snapshot(clock.now(), i % 60));
    });
    await clock.advance(26 * HOUR, () => recorder.flush());
    await recorder.prune();

    const raw = await store.listSeries({ resolutionMs: RAW_RESOLUTION_MS, series: 'a', from: 0, to: clock.now() });
    expect(raw[0].at).toBeGreaterThanOrEqual(clock.now() - 24 * HOUR);
    expect(raw.length).toBeGreaterThanOrEqual(8_640);
    expect(raw.length).toBeLessThanOrEqual(8_640 + 60); // pruning runs every 10 minutes
    const minutes = await store.countSeries(MINUTE_RESOLUTION_MS);
    expect(minutes).toBe(3 * 26 * 60); // every finished minute of every series, nothing pruned yet

    const hour = await recorder.query({
      metric: 'queue_depth',
      series: 'a',
      from: clock.now() - HOUR,
      to: clock.now(),
      maxPoints: 360,
    });
    expect(hour).toMatchObject({ resolutionMs: RAW_RESOLUTION_MS, stepMs: 10_000 });
    expect(hour.points.length).toBeGreaterThanOrEqual(359);
    const day = await recorder.query({
      metric: 'queue_depth',
      series: 'a',
      from: clock.now() - 24 * HOUR,
      to: clock.now(),
      maxPoints: 360,
    });
    expect(day).toMatchObject({ resolutionMs: MINUTE_RESOLUTION_MS, stepMs: 240_000 });
    expect(day.points.length).toBeGreaterThanOrEqual(359);
    expect(day.points.length).toBeLessThanOrEqual(361);
    // Values cycle 0..59 every 10 minutes: every 4-minute bucket averages within the cycle, peaks near its top.
    for (const p of day.points.slice(1, -1)) {
      expect(p.value!).toBeGreaterThanOrEqual(0);
      expect(p.value!).toBeLessThanOrEqual(59);
      expect(p.max!).toBeGreaterThanOrEqual(p.value!);
    }

    // 30 days minus 2 hours later, only the last 2 hours of minute rollups are younger than 30 days.
    const pruned = await recorder.prune(clock.now() + 30 * 24 * HOUR - 2 * HOUR);
    const left = await store.countSeries(MINUTE_RESOLUTION_MS);
    expect(left).toBeGreaterThanOrEqual(3 * 119);
    expect(left).toBeLessThanOrEqual(3 * 120);
    expect(pruned.minute + left).toBe(minutes);
    recorder.stop();
  });
});

describe('the metric registry on a real town', () => {
  let h: Harness;
  let town: Town;
  afterEach(async () => {
    await town?.stop();
    await h?.cleanup();
  });

  it('samples queue depth, throughput, conflicts, patrols and silent polecats on the engine clock, and exports them', async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 30_000 } });
    await town.polecats.add('myproject', 4);
    const monitoring = createMonitoring({
      town,
      metricsStore: new MemoryMetricsStore(),
      alertStore: new MemoryAlertStore(),
    });
    await monitoring.load();
    const snapshots: MetricSnapshot[] = [];
    monitoring.sampler.onSnapshot((s) => snapshots.push(s));
    monitoring.start();
    town.convoys.create(
      'sprint',
      Array.from({ length: 8 }, (_, i) => ({ rig: 'myproject', title: `bead ${i}`, paths: ['core/'] })),
    );
    town.start();
    // Four landed, and a quarter of an hour observed: enough for an hourly throughput.
    const rated = () => town.rigs.refineryStats('myproject').mergesPerHour !== null;
    await runUntil(h.clock, town, () => town.rigs.get('myproject')!.counters.merged >= 4 && rated(), 2 * HOUR);

    const sampled = snapshots.length;
    const s = monitoring.sampler.sample();
    const rig = s.rigs.myproject;
    expect(rig.polecats).toBe(4);
    expect(rig.queue_depth).toBe(town.rigs.queueDepth('myproject'));
    // The throughput series is the Refinery window's rate, the one the tiles and the CLI show.
    expect(rig.throughput).toBe(town.rigs.refineryStats('myproject').mergesPerHour);
    expect(rig.throughput).toBeGreaterThan(0);
    expect(rig.conflict_sample).toBe(town.rigs.refineryStats('myproject').conflictRate.sample);
    expect(rig.workers).toBe(1);
    expect(s.town.patrol_duration).not.toBeNull();
    expect(s.town.polecats).toBe(4);
    expect(s.town.tokens_today).toBeGreaterThan(0);
    // Samples every 10 s of engine time, on the engine clock.
    const gaps = new Set(snapshots.slice(1, sampled).map((x, i) => x.at - snapshots[i].at));
    expect(gaps).toEqual(new Set([10_000]));

    const registry = createPrometheusRegistry({
      sampler: monitoring.sampler,
      town,
      alerts: monitoring.alerts,
      histograms: monitoring.histograms,
      processMetrics: false,
    });
    const text = await registry.metrics();
    // Every landed request is one observation of its time in queue, in buckets that reach hours.
    const merged = town.rigs.get('myproject')!.counters.merged;
    expect(text).toMatch(/^# TYPE gt_merge_queue_wait_seconds histogram$/m);
    expect(text).toContain(`gt_merge_queue_wait_seconds_count{rig="myproject"} ${merged}`);
    expect(text).toMatch(/^gt_merge_queue_wait_seconds_bucket\{le="14400",rig="myproject"\} \d+$/m);
    expect(text).toMatch(/^# TYPE gt_check_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE gt_queue_depth gauge$/m);
    expect(text).toMatch(new RegExp(`^gt_polecats\\{rig="myproject"\\} 4$`, 'm'));
    expect(text).toMatch(/^gt_patrol_duration_seconds \d+(\.\d+)?$/m);
    expect(text).toMatch(/^gt_throughput_per_hour\{rig="myproject"\} \d+(\.\d+)?$/m);

    // A polecat that hangs (and a Witness told to wait) is unresponsive past 15 minutes, and the rule fires.
    town.rigs.updateSettings('myproject', { heartbeatTimeoutMs: 4 * HOUR, progressTimeoutMs: 4 * HOUR });
    town.convoys.create('more', [{ rig: 'myproject', title: 'one more', paths: ['ui/'] }]);
    await runUntil(h.clock, town, () => town.polecats.list('myproject').some((p) => p.state === 'working'), HOUR);
    const victim = town.polecats.list('myproject').find((p) => p.state === 'working')!;
    town.supervision.injectFailure(victim.id, 'hang', true);
    await runUntil(
      h.clock,
      town,
      () => monitoring.alerts.activeView().active.some((a) => a.ruleId === 'agent-unresponsive'),
      HOUR,
    );
    const alert = monitoring.alerts.activeView().active.find((a) => a.ruleId === 'agent-unresponsive')!;
    expect(alert).toMatchObject({ state: 'firing', labels: { rig: 'myproject' } });
    expect(monitoring.sampler.latest()!.rigs.myproject.polecats_unresponsive).toBeGreaterThanOrEqual(1);
    expect(alert.recommendations.map((r) => r.label)).toContain('See the polecats');
    await monitoring.stop();
  });
});
