/**
 * `npm run bench -- cluster`: a town on three real server processes (tests/support/cluster-nodes.ts),
 * each its own data directory, sharing one fresh PostgreSQL database and one Redis, with
 * 300 scripted polecats in all (10 rigs of 10 on each node, real git, real clock). Measured:
 *
 * - event -> client latency on each node: 5 clients per node (the browser's stream client,
 *   lib/stream-client.ts) follow the town topic; an item's latency is its arrival here minus
 *   the time its origin node published it (every process on this machine's clock);
 * - failover: node C is killed with SIGKILL; the time until the others hold every one of its
 *   rigs (claimed and attached: lease TTL + a heartbeat + the rebuild from the upstreams),
 *   and until one of those rigs lands again on its upstream;
 * - the PostgreSQL store's write throughput beside SQLite's (bench/store-writes.ts).
 *
 * Smaller runs: BENCH_CLUSTER_RIGS_PER_NODE, BENCH_CLUSTER_POLECATS (per rig), BENCH_CLUSTER_SECONDS,
 * BENCH_CLUSTER_STORE=0 (skip the store table).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { STREAM_EVENTS, type StreamDelta } from '../contracts/realtime';
import { StreamClient } from '../lib/stream-client';
import { ClusterNodes, ownerOf, until, type ClusterNode } from '../tests/support/cluster-nodes';
import { firstParentHistory } from '../tests/support/crash-server';
import { createTestDatabase } from '../tests/support/postgres';
import { dropPrefix, ensureRedis, redisPrefix, REDIS_URL } from '../tests/support/redis';
import { printStoreWrites } from './store-writes';

const TOKEN = 'bench-cluster-operator-token';
const CLIENTS_PER_NODE = 5;
const HEARTBEAT_MS = 2_000;
const LEASE_TTL_MS = 10_000;

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function landings(repo: string): Promise<number> {
  return (await firstParentHistory(repo)).filter((m) => m.bead !== null).length;
}

export async function printClusterBench(): Promise<void> {
  const rigsPerNode = Number(process.env.BENCH_CLUSTER_RIGS_PER_NODE ?? 10);
  const perRig = Number(process.env.BENCH_CLUSTER_POLECATS ?? 10);
  const seconds = Number(process.env.BENCH_CLUSTER_SECONDS ?? 30);
  const names = ['node-a', 'node-b', 'node-c'];
  console.log(
    `\nA town on three nodes: ${names.length * rigsPerNode * perRig} scripted polecats on ${names.length * rigsPerNode} rigs ` +
      `(${rigsPerNode} per node), PostgreSQL + Redis at ${REDIS_URL}, heartbeat ${HEARTBEAT_MS} ms, lease TTL ${LEASE_TTL_MS} ms, ` +
      `${CLIENTS_PER_NODE} clients per node following the town (real git, real clock)\n`,
  );
  const root = await mkdtemp(path.join(os.tmpdir(), 'gt-bench-cluster-'));
  const db = await createTestDatabase();
  const redis = await ensureRedis();
  const prefix = redisPrefix('bench-cluster');
  const cluster = new ClusterNodes(root, TOKEN, {
    GT_DATABASE_URL: db.url,
    GT_REDIS_URL: REDIS_URL,
    GT_REDIS_PREFIX: prefix,
    GT_HEARTBEAT_MS: String(HEARTBEAT_MS),
    GT_LEASE_TTL_MS: String(LEASE_TTL_MS),
    GT_TIME_SCALE: '1',
  });
  const clients: StreamClient[] = [];
  const loadBefore = os.loadavg().map((l) => l.toFixed(1));
  try {
    const first = await cluster.start(names[0]);
    const nodes: ClusterNode[] = [first, ...(await Promise.all(names.slice(1).map((n) => cluster.start(n))))];
    const upstreams = new Map<string, string>();
    for (const node of nodes) {
      for (let r = 0; r < rigsPerNode; r++) {
        const rig = `${node.name.slice(-1)}${r}`;
        upstreams.set(rig, await cluster.upstream(rig));
        await cluster.command(node, 'rig.add', { name: rig, url: upstreams.get(rig), polecats: perRig, node: node.name });
        // Enough work to keep every polecat busy through the measurement and the failover.
        for (let i = 0; i < perRig * 4; i++) {
          const area = ['core/', 'ui/', 'tests/'][i % 3];
          await cluster.command(node, 'bead.create', { rig, title: `${rig} ${i}`, description: '', priority: 1, paths: [area] });
        }
      }
    }
    const latencies = new Map<string, number[]>(names.map((n) => [n, []]));
    let measuring = false;
    for (const node of nodes) {
      for (let i = 0; i < CLIENTS_PER_NODE; i++) {
        const client = new StreamClient(node.url, { token: TOKEN });
        clients.push(client);
        client.socket.on(STREAM_EVENTS.delta, (d: StreamDelta) => {
          if (!measuring) return;
          const now = Date.now();
          for (const item of d.items) latencies.get(node.name)!.push(now - item.ts);
        });
        client.subscribe('town', { snapshot: () => {}, delta: () => {} });
      }
    }
    await new Promise((r) => setTimeout(r, 5_000)); // warm-up: agents at work, clients joined
    measuring = true;
    await new Promise((r) => setTimeout(r, seconds * 1_000));
    measuring = false;
    console.log('node      clients  items received  p50 ms  p95 ms  p99 ms  max ms');
    for (const [name, values] of latencies) {
      const sorted = [...values].sort((x, y) => x - y);
      console.log(
        [
          name.padEnd(8),
          String(CLIENTS_PER_NODE).padStart(8),
          String(sorted.length).padStart(15),
          String(percentile(sorted, 50)).padStart(7),
          String(percentile(sorted, 95)).padStart(7),
          String(percentile(sorted, 99)).padStart(7),
          String(sorted.at(-1) ?? NaN).padStart(7),
        ].join(' '),
      );
    }
    const worst = Math.max(
      ...[...latencies.values()].map((v) =>
        percentile(
          [...v].sort((x, y) => x - y),
          95,
        ),
      ),
    );
    console.log(`target: event-to-client p95 < 250 ms on every node: ${worst < 250 ? 'met' : 'MISSED'} (worst ${worst} ms)`);

    // Failover: node C dies; its rigs must be claimed elsewhere and land again.
    const victim = nodes[2];
    const moved = [...upstreams.keys()].filter((rig) => rig.startsWith('c'));
    const before = new Map(await Promise.all(moved.map(async (rig) => [rig, await landings(upstreams.get(rig)!)] as const)));
    const killedAt = performance.now();
    victim.run.crash();
    await victim.run.exited;
    const survivors = nodes.slice(0, 2);
    await until(
      async () => Promise.all(survivors.map((n) => cluster.cluster(n))),
      (views) => moved.every((rig) => views.some((v) => v.attached.includes(rig) && ownerOf(v, rig) === v.node)),
      100,
    );
    const claimedMs = performance.now() - killedAt;
    await until(
      async () => Promise.all(moved.map(async (rig) => (await landings(upstreams.get(rig)!)) > before.get(rig)!)),
      (landed) => landed.some(Boolean),
      100,
    );
    const landingMs = performance.now() - killedAt;
    console.log(
      `failover (kill -9 of node-c, ${moved.length} rigs): all claimed and attached after ${(claimedMs / 1000).toFixed(1)} s, ` +
        `landing again after ${(landingMs / 1000).toFixed(1)} s (target: claimed within 30 s: ${claimedMs < 30_000 ? 'met' : 'MISSED'})`,
    );
    console.log(
      `(load average 1/5/15 min: ${loadBefore.join(' ')} before, ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} after)`,
    );
  } finally {
    for (const c of clients) c.close();
    await cluster.killAll();
    await dropPrefix(redis, prefix);
    redis.destroy();
    await db.drop();
    await rm(root, { recursive: true, force: true });
  }
  if (process.env.BENCH_CLUSTER_STORE !== '0') await printStoreWrites();
}
