/**
 * Event-to-client latency of the live streams under load: a real town of 200 scripted
 * polecats on 20 rigs (real git commits and merges, SQLite through Prisma, metrics sampled
 * and alert rules evaluated, on the real clock) served over socket.io, the server's auth
 * included, to 50 clients in another process, each following the town, the alerts and
 * one rig. Measured: the time from the engine event (its publication on the bus) to its
 * arrival in a client, p50 and p95 over every item every client received; the server's
 * event-loop delay p99 (perf_hooks monitorEventLoopDelay); its peak resident memory.
 *
 * The polecats work much faster than real agents (a bead every `agentWorkMs` of real
 * time), so the event rate is many times what a real 200-agent town produces.
 */
import { ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance as perfHooks } from 'node:perf_hooks';
import { ScriptedAgentRuntime } from '../server/agents/scripted-agent';
import { PrismaAlertStore } from '../server/alerts/prisma-store';
import { Authenticator } from '../server/auth/authenticator';
import { demoBead } from '../server/demo/demo-town';
import { ScaledRealClock } from '../server/engine/clock';
import type { DomainEvent } from '../contracts/events';
import { hashSeed, seededRandom } from '../server/engine/random';
import { createEngine } from '../server/engine/assembly';
import { CliGit, initRepository } from '../server/git/cli-git';
import { demoRepositoryFiles } from '../server/git/demo-repo';
import { CheckRunner } from '../server/checks/check-runner';
import { createMonitoring } from '../server/metrics/monitoring';
import { PrismaMetricsStore } from '../server/metrics/prisma-series-store';
import { attachRealtime } from '../server/realtime/socket';
import { RedisLink } from '../server/realtime/redis-link';
import { processRunner, Spawner } from '../server/spawner/spawner';
import { migrateDatabase } from '../server/store/migrate';
import { PrismaStore } from '../server/store/prisma-store';
import { openSqlitePrisma } from '../server/store/sqlite';

export interface RealtimeRow {
  rigs: number;
  polecats: number;
  clients: number;
  seconds: number;
  events: number;
  eventsPerSecond: number;
  itemsReceived: number;
  deltasReceived: number;
  merged: number;
  /** Null without clients (the town alone, for the loop lag side by side). */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  /** Child processes the town started (git, mostly) and how long spawn() blocked the loop. */
  spawnsPerSecond: number;
  spawnBlockP50Ms: number;
  spawnBlockMaxMs: number;
  /** Share of the window the loop spent blocked in spawn(). */
  spawnBlockShare: number;
  /** Processes started through the spawner instead (git and checks), per second. */
  spawnerRequestsPerSecond: number;
  /**
   * CPU of the server process over the window, as a share of one core, and its event-loop
   * utilisation: less sensitive to the machine's other load than the lag is.
   */
  serverCpuShare: number;
  eventLoopUtilisation: number;
  peakRssMb: number;
  setupSeconds: number;
}

interface Report {
  type: 'report';
  histogram: number[];
  items: number;
  deltas: number;
  snapshots: number;
  refused: number;
}

function percentileOf(histogram: number[], p: number): number {
  const total = histogram.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let ms = 0; ms < histogram.length; ms++) {
    seen += histogram[ms];
    if (seen >= (p / 100) * total) return ms;
  }
  return histogram.length;
}

function waitFor<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`benchmark clients: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
  });
}

export interface RealtimeOptions {
  rigs?: number;
  polecatsPerRig?: number;
  clients?: number;
  seconds?: number;
  agentWorkMs?: number;
  /** Topics each client follows (default: the town, the alerts and one rig). */
  topics?: 'all' | 'town';
  /**
   * A cluster of two (bench/cluster-realtime.ts): this town's server on Redis, a second node
   * (bench/cluster-node.ts, its own process, an empty town) on the same Redis, and as many
   * clients again on that node; `remote` is then what they measured.
   */
  redis?: { url: string; prefix: string };
}

export async function realtimeLatency(options: RealtimeOptions = {}): Promise<RealtimeRow & { remote?: RealtimeRow }> {
  const rigs = options.rigs ?? 20;
  const perRig = options.polecatsPerRig ?? 10;
  const clients = options.clients ?? 50;
  const seconds = options.seconds ?? 60;
  const setupStarted = performance.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-bench-rt-'));
  let peakRss = 0;
  const rssSampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const dbFile = path.join(dir, 'gastown.db');
  await migrateDatabase(dbFile);
  const prisma = await openSqlitePrisma(dbFile);
  const store = new PrismaStore(prisma);
  const clock = new ScaledRealClock(1);
  const git = new CliGit();
  const town = await createEngine({
    clock,
    git,
    store,
    agents: new ScriptedAgentRuntime({ clock, git }),
    checks: new CheckRunner({ scratchRoot: path.join(dir, 'scratch') }),
    workDir: dir,
    random: seededRandom(hashSeed('bench-realtime')),
  });
  const random = seededRandom(hashSeed('bench-realtime-beads'));
  const names = Array.from({ length: rigs }, (_, i) => `bench-${String(i).padStart(2, '0')}`);
  for (const name of names) {
    const repoPath = path.join(dir, 'rigs', name);
    await initRepository(repoPath, demoRepositoryFiles());
    await town.rigs.add({ name, repoPath, settings: { agentWorkMs: options.agentWorkMs ?? 40_000, refineryWorkers: 2 } });
    await town.polecats.add(name, perRig);
    town.convoys.create(
      `${name} backlog`,
      Array.from({ length: perRig * 2 }, () => ({ ...demoBead(random), rig: name })),
    );
  }
  // Keep every rig's backlog as long as its crew, like the demo feeder.
  const offFeeder = town.bus.subscribe((e) => {
    if (e.type !== 'bead.status_changed' || e.to !== 'done') return;
    queueMicrotask(() => town.beads.create({ ...demoBead(random), rig: e.rig }));
  });

  const monitoring = createMonitoring({
    town,
    metricsStore: new PrismaMetricsStore(prisma),
    alertStore: new PrismaAlertStore(prisma),
  });
  await monitoring.load();
  const credentials = {
    mode: 'on' as const,
    operatorToken: 'bench-operator-token',
    viewerToken: 'bench-viewer-token',
    sessionSecret: 'bench-session-secret-0123456789',
    file: '',
    stored: { operator: false, viewer: false },
    createdFile: false,
  };
  const http = createServer((_req, res) => res.writeHead(404).end());
  const quiet = { info: () => {}, warn: console.warn, error: console.error };
  const redis = options.redis ? new RedisLink({ ...options.redis, node: 'bench-a', log: quiet }) : null;
  redis?.connect();
  const realtime = attachRealtime({
    httpServer: http,
    town,
    store,
    auth: new Authenticator(credentials),
    alerts: monitoring.alerts,
    node: 'bench-a',
    redis,
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  monitoring.start();
  town.start();

  const node = options.redis
    ? fork(path.join(import.meta.dirname, 'cluster-node.ts'), [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, BENCH_REDIS_URL: options.redis.url, BENCH_REDIS_PREFIX: options.redis.prefix },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : null;
  const remoteUrl = node ? (await waitFor<{ url: string }>(node, 'listening', 120_000)).url : null;
  const startClients = (target: string) =>
    fork(path.join(import.meta.dirname, 'realtime-clients.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        BENCH_URL: target,
        BENCH_TOKEN: credentials.viewerToken,
        BENCH_CLIENTS: String(clients),
        BENCH_RIGS: String(rigs),
        BENCH_TOPICS: options.topics ?? 'all',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  const child = clients > 0 ? startClients(url) : null;
  const remote = clients > 0 && remoteUrl ? startClients(remoteUrl) : null;
  try {
    if (child) await waitFor(child, 'connected', 120_000);
    if (remote) await waitFor(remote, 'connected', 120_000);
    // Warm up: every polecat busy, merges landing.
    await new Promise((r) => setTimeout(r, 15_000));
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    let events = 0;
    const countEvents = town.bus.subscribe((_e: DomainEvent) => events++);
    const mergedBefore = town.rigs.list().reduce((n, r) => n + r.counters.merged, 0);
    // spawn() forks this process, which blocks the loop in proportion to its memory: timed apart.
    const spawnMs: number[] = [];
    const proto = ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown };
    const originalSpawn = proto.spawn;
    proto.spawn = function (this: unknown, ...args: unknown[]) {
      const t = performance.now();
      try {
        return originalSpawn.apply(this, args);
      } finally {
        spawnMs.push(performance.now() - t);
      }
    };
    const runner = processRunner();
    const viaSpawner = () => (runner instanceof Spawner ? runner.stats().viaSpawner : 0);
    const spawnerBefore = viaSpawner();
    const cpuBefore = process.cpuUsage();
    const eluBefore = perfHooks.eventLoopUtilization();
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    child?.send({ type: 'record' });
    remote?.send({ type: 'record' });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    lag.disable();
    const cpu = process.cpuUsage(cpuBefore);
    const elu = perfHooks.eventLoopUtilization(eluBefore);
    proto.spawn = originalSpawn;
    const spawnerRequests = viaSpawner() - spawnerBefore;
    countEvents();
    spawnMs.sort((a, b) => a - b);
    const reportOf = async (clientsProcess: ChildProcess | null): Promise<Report | null> => {
      if (!clientsProcess) return null;
      const reportPromise = waitFor<Report>(clientsProcess, 'report', 30_000);
      clientsProcess.send({ type: 'stop' });
      return reportPromise;
    };
    const [report, remoteReport] = await Promise.all([reportOf(child), reportOf(remote)]);
    const merged = town.rigs.list().reduce((n, r) => n + r.counters.merged, 0) - mergedBefore;
    const latency = (r: Report | null) => ({
      itemsReceived: r?.items ?? 0,
      deltasReceived: r?.deltas ?? 0,
      p50Ms: r && percentileOf(r.histogram, 50),
      p95Ms: r && percentileOf(r.histogram, 95),
      p99Ms: r && percentileOf(r.histogram, 99),
      maxMs: r && r.histogram.findLastIndex((n) => n > 0),
    });
    const row: RealtimeRow = {
      rigs,
      polecats: rigs * perRig,
      clients,
      seconds,
      events,
      eventsPerSecond: events / seconds,
      ...latency(report),
      merged,
      loopLagP99Ms: lag.percentile(99) / 1e6,
      loopLagMaxMs: lag.max / 1e6,
      spawnsPerSecond: spawnMs.length / seconds,
      spawnBlockP50Ms: spawnMs[Math.floor(spawnMs.length / 2)] ?? 0,
      spawnBlockMaxMs: spawnMs.at(-1) ?? 0,
      spawnBlockShare: spawnMs.reduce((a, b) => a + b, 0) / (seconds * 1000),
      spawnerRequestsPerSecond: spawnerRequests / seconds,
      serverCpuShare: (cpu.user + cpu.system) / 1000 / (seconds * 1000),
      eventLoopUtilisation: elu.utilization,
      peakRssMb: peakRss / 1024 / 1024,
      setupSeconds,
    };
    return remoteReport ? { ...row, remote: { ...row, ...latency(remoteReport) } } : row;
  } finally {
    child?.kill();
    remote?.kill();
    node?.kill();
    offFeeder();
    await realtime.close();
    await new Promise((r) => http.close(r));
    await monitoring.stop();
    await town.stop();
    clock.clearAll();
    await store.close();
    clearInterval(rssSampler);
    await rm(dir, { recursive: true, force: true });
  }
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

const ms = (v: number | null) => (v === null ? '—' : String(v));

export function row(label: string, r: RealtimeRow): string {
  return [
    label.padEnd(22),
    String(r.clients).padStart(7),
    r.eventsPerSecond.toFixed(1).padStart(9),
    String(r.merged).padStart(7),
    r.itemsReceived.toLocaleString('en-US').padStart(15),
    r.deltasReceived.toLocaleString('en-US').padStart(7),
    ms(r.p50Ms).padStart(7),
    ms(r.p95Ms).padStart(7),
    ms(r.p99Ms).padStart(7),
    ms(r.maxMs).padStart(7),
    r.loopLagP99Ms.toFixed(1).padStart(16),
    r.loopLagMaxMs.toFixed(0).padStart(13),
    r.peakRssMb.toFixed(0).padStart(12),
  ].join(' ');
}

/**
 * The table `npm run bench` prints: the town with 50 clients, and the same town with none,
 * side by side, so the loop lag the streams add is told apart from the town's own.
 */
export async function printRealtimeLatency(): Promise<RealtimeRow> {
  console.log(
    '\nLive streams: engine event to socket.io client, 200 scripted polecats on 20 rigs (real git, SQLite, real clock)\n',
  );
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  const loadBefore = load();
  const loaded = await realtimeLatency();
  const alone = await realtimeLatency({ clients: 0 });
  console.log(`(load average 1/5/15 min: ${loadBefore} before, ${load()} after)`);
  console.log(
    'run                    clients  events/s  merged  items received  deltas  p50 ms  p95 ms  p99 ms  max ms  loop lag p99 ms  lag max ms  peak RSS MB',
  );
  console.log(row('town + 50 clients', loaded));
  console.log(row('town alone', alone));
  console.log(`(each run: ${loaded.seconds} s measured after ${loaded.setupSeconds.toFixed(0)} s of set-up and warm-up)`);
  for (const [label, r] of [
    ['town + 50 clients', loaded],
    ['town alone', alone],
  ] as const) {
    console.log(
      `${label}: ${r.spawnsPerSecond.toFixed(0)} process spawns/s (git), each blocking the loop p50 ${r.spawnBlockP50Ms.toFixed(1)} ms, ` +
        `max ${r.spawnBlockMaxMs.toFixed(1)} ms: ${(r.spawnBlockShare * 100).toFixed(0)}% of the window; ` +
        `${r.spawnerRequestsPerSecond.toFixed(0)} processes/s started by the spawner; ` +
        `server CPU ${(r.serverCpuShare * 100).toFixed(0)}% of a core, event loop utilisation ${(r.eventLoopUtilisation * 100).toFixed(0)}%`,
    );
  }
  console.log(`target: event-to-client p95 < 250 ms: ${verdict((loaded.p95Ms ?? Infinity) < 250)} (${loaded.p95Ms} ms)`);
  console.log(
    `target: event-loop lag p99 < 100 ms: ${verdict(loaded.loopLagP99Ms < 100)} (${loaded.loopLagP99Ms.toFixed(1)} ms; ` +
      `${alone.loopLagP99Ms.toFixed(1)} ms without clients)`,
  );
  console.log(`bound: server under 512 MB resident: ${verdict(loaded.peakRssMb < 512)} (${loaded.peakRssMb.toFixed(0)} MB)`);
  return loaded;
}

/** `tsx bench/realtime-latency.ts`: this benchmark alone. */
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  printRealtimeLatency().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
