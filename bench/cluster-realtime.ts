/**
 * `npm run bench -- cluster-realtime`: event-to-client latency through Redis with two
 * nodes. Node A runs the realtime benchmark's town (bench/realtime-latency.ts: scripted
 * polecats, real git, SQLite, real clock) with its socket.io server on the Redis Streams
 * adapter; node B (bench/cluster-node.ts, its own process) has an empty town on the same
 * Redis. 25 clients follow the town topic on each node, side by side in one run: A's
 * clients get A's events locally, B's only through Redis (A's hub, the relay's stream,
 * B's hub). Latency is from the engine event on A to its arrival in a client.
 */
import os from 'node:os';
import path from 'node:path';
import { dropPrefix, ensureRedis, redisPrefix, REDIS_URL } from '../tests/support/redis';
import { realtimeLatency, row } from './realtime-latency';

export async function printClusterRealtime(): Promise<void> {
  const rigs = Number(process.env.BENCH_CLUSTER_RIGS ?? 10);
  const perRig = Number(process.env.BENCH_CLUSTER_POLECATS ?? 10);
  const seconds = Number(process.env.BENCH_CLUSTER_SECONDS ?? 30);
  console.log(
    `\nLive streams across two nodes through Redis: ${rigs * perRig} scripted polecats on ${rigs} rigs on node A, ` +
      `25 clients on each node following the town (real git, SQLite, real clock, Redis at ${REDIS_URL})\n`,
  );
  const redis = await ensureRedis();
  const prefix = redisPrefix('bench');
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  const loadBefore = load();
  try {
    const r = await realtimeLatency({
      rigs,
      polecatsPerRig: perRig,
      clients: 25,
      seconds,
      topics: 'town',
      redis: { url: REDIS_URL, prefix },
    });
    console.log(`(load average 1/5/15 min: ${loadBefore} before, ${load()} after)`);
    console.log(
      'run                    clients  events/s  merged  items received  deltas  p50 ms  p95 ms  p99 ms  max ms  loop lag p99 ms  lag max ms  peak RSS MB',
    );
    console.log(row('node A (local)', r));
    if (r.remote) console.log(row('node B (via Redis)', r.remote));
    console.log("(loop lag and peak RSS: node A's process, which runs the town)");
    console.log(`(${r.seconds} s measured after ${r.setupSeconds.toFixed(0)} s of set-up and warm-up)`);
    const p95 = r.remote?.p95Ms ?? Infinity;
    console.log(
      `target: event-to-client p95 on the other node < 250 ms: ${p95 < 250 ? 'met' : 'MISSED'} (${p95} ms; ${r.p95Ms} ms on node A)`,
    );
    const share = r.remote && r.itemsReceived > 0 ? r.remote.itemsReceived / r.itemsReceived : 0;
    console.log(`items on node B per item on node A: ${share.toFixed(3)} (1 = every event arrived on both)`);
  } finally {
    await dropPrefix(redis, prefix);
    redis.destroy();
  }
}

/** `tsx bench/cluster-realtime.ts`: this benchmark alone. */
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  printClusterRealtime().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
