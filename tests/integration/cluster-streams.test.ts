/**
 * Live streams across nodes, with real processes: two real servers (`tsx server/main.ts`,
 * each on its own data directory and SQLite file) share one real Redis through
 * GT_REDIS_URL and a key prefix of this run's own. Node A runs the demo town (its scripted
 * polecats keep events coming); node B runs an empty town. A browser-side stream client
 * (lib/stream-client.ts) on B follows the `town` topic and must see A's events: a bead
 * created through A's API shows up on B's socket, and every delta A numbered reaches B's
 * client once, in order, with the same items A's own client got.
 *
 * Then the nodes' Redis connections are cut (CLIENT KILL on their connections only; the
 * shared Redis keeps running): the nodes reconnect, and A's deltas keep arriving on B
 * without a gap (the sequence check covers the cut), a bead created after the cut arrives
 * too, and B's /api/health says the link is ready again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_EVENTS, type StreamDelta } from '@/contracts/realtime';
import type { DomainEvent } from '@/contracts/events';
import { StreamClient } from '@/lib/stream-client';
import { sleep, startServerProcess, type ServerRun } from '../support/crash-server';
import { dropPrefix, ensureRedis, killConnections, redisPrefix, REDIS_URL, type TestRedis } from '../support/redis';

const TOKEN = 'cluster-streams-operator-token';
const START_TIMEOUT_MS = 180_000;

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** What one stream client saw of the `town` topic: per origin node, the items of each seq it was sent live. */
function follow(url: string) {
  const client = new StreamClient(url, { token: TOKEN });
  const seen = { events: [] as DomainEvent[], bySeq: new Map<string, Map<number, string>>(), snapshots: 0 };
  client.socket.on(STREAM_EVENTS.delta, (d: StreamDelta) => {
    if (d.items.length === 0) return;
    const seqs = seen.bySeq.get(d.node) ?? new Map<number, string>();
    seen.bySeq.set(d.node, seqs);
    const items = JSON.stringify(d.items);
    // The same seq twice (a replay of one already sent) must carry the same items.
    if (seqs.has(d.seq)) expect(seqs.get(d.seq)).toBe(items);
    seqs.set(d.seq, items);
  });
  client.subscribe('town', {
    snapshot: () => void seen.snapshots++,
    delta: (items) => {
      for (const i of items) if (i.kind === 'event') seen.events.push(i.event);
    },
  });
  return { client, seen };
}

/** The seqs from `first` on that a client holds of one origin, and the first missing one. */
function contiguousFrom(seqs: Map<number, string>, first: number): number {
  let n = first;
  while (seqs.has(n)) n++;
  return n;
}

async function listening(run: ServerRun): Promise<string> {
  let url: string | null = null;
  await waitFor(
    `server ${run.index} to listen`,
    () => {
      if (!run.isRunning()) throw new Error(`server ${run.index} exited:\n${run.output().slice(-3000)}`);
      url = /listening on (http:\/\/\S+)/.exec(run.output())?.[1] ?? null;
      return url !== null;
    },
    START_TIMEOUT_MS,
  );
  return url!;
}

async function createBead(url: string, title: string): Promise<void> {
  const res = await fetch(`${url}/api/beads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ rig: 'myproject', title }),
    signal: AbortSignal.timeout(120_000),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
}

describe('live streams across two nodes through Redis', () => {
  let redis: TestRedis;
  let prefix: string;
  let dir: string;
  const runs: ServerRun[] = [];
  const clients: StreamClient[] = [];
  const suffix = Math.random().toString(36).slice(2, 8); // node names: this run's Redis connections only
  const nodeA = `a-${suffix}`;
  const nodeB = `b-${suffix}`;
  let urlA: string;
  let urlB: string;

  beforeAll(async () => {
    redis = await ensureRedis();
    prefix = redisPrefix('cluster');
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-cluster-'));
    const env = (node: string, demo: boolean) => ({
      GT_NODE: node,
      GT_REDIS_URL: REDIS_URL,
      GT_REDIS_PREFIX: prefix,
      GT_OPERATOR_TOKEN: TOKEN,
      GT_DEMO: demo ? '1' : '0',
      GT_DEMO_POLECATS: '3',
      GT_TIME_SCALE: '30',
      // `next dev` locks its build directory: each node gets its own (unused with a production build).
      GT_NEXT_DIST_DIR: `.next/cluster-${node.slice(0, 1)}`,
    });
    runs.push(
      startServerProcess({ index: 0, dataDir: path.join(dir, 'a'), logFile: path.join(dir, 'a.log'), env: env(nodeA, true) }),
    );
    runs.push(
      startServerProcess({ index: 1, dataDir: path.join(dir, 'b'), logFile: path.join(dir, 'b.log'), env: env(nodeB, false) }),
    );
    [urlA, urlB] = await Promise.all(runs.map(listening));
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(runs.map((r) => r.stop(20_000)));
    if (redis) {
      await dropPrefix(redis, prefix);
      redis.destroy();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("delivers node A's events to a client on node B, in order and complete, across a cut of the Redis connections", async () => {
    const onA = follow(urlA);
    const onB = follow(urlB);
    clients.push(onA.client, onB.client);
    await waitFor('both snapshots', () => onA.seen.snapshots > 0 && onB.seen.snapshots > 0);

    // A bead created through node A's API: its event reaches the client on node B.
    await createBead(urlA, 'made on node A');
    await waitFor('the bead on node B', () =>
      onB.seen.events.some((e) => e.type === 'bead.created' && e.title === 'made on node A'),
    );
    const aOnB = () => onB.seen.bySeq.get(nodeA) ?? new Map<number, string>();
    const aOnA = () => onA.seen.bySeq.get(nodeA) ?? new Map<number, string>();
    const first = Math.max(Math.min(...aOnB().keys()), Math.min(...aOnA().keys()));

    // The cut: every connection of both nodes to Redis is killed; Redis itself stays up.
    const cutAt = Math.max(...aOnA().keys());
    const killed = (await killConnections(redis, `gastown:${nodeA}`)) + (await killConnections(redis, `gastown:${nodeB}`));
    expect(killed).toBeGreaterThanOrEqual(4); // each node: a publishing, a reading and a subscribing connection

    await createBead(urlA, 'made after the cut');
    await waitFor('the second bead on node B', () =>
      onB.seen.events.some((e) => e.type === 'bead.created' && e.title === 'made after the cut'),
    );
    // Well past the cut, A's client and B's client hold the same deltas of A, none missing on B.
    const target = Math.max(...aOnA().keys()) + 5;
    await waitFor(
      'more of A on both',
      () => Math.max(...aOnB().keys()) >= target && Math.max(...aOnA().keys()) >= target,
      90_000,
    );
    const upTo = Math.min(Math.max(...aOnB().keys()), Math.max(...aOnA().keys()));
    expect(upTo).toBeGreaterThan(cutAt);
    expect(contiguousFrom(aOnB(), first)).toBeGreaterThan(upTo);
    for (let seq = first; seq <= upTo; seq++) expect(aOnB().get(seq), `seq ${seq}`).toBe(aOnA().get(seq));

    // Every event B's client applied from A is one A's client applied, once each (no duplicates).
    const titles = onB.seen.events.filter((e) => e.type === 'bead.created').map((e) => (e as { title: string }).title);
    expect(titles.filter((t) => t === 'made after the cut')).toHaveLength(1);

    const health = (await (await fetch(`${urlB}/api/health`)).json()) as { streams: { mode: string; redis: string } };
    expect(health.streams).toMatchObject({ mode: 'cluster', redis: 'ready' });
    // /metrics on B: the link is up, A's pushes were applied, and none was given up as a gap.
    const metrics = await (await fetch(`${urlB}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).toMatch(/^gt_stream_redis_up 1$/m);
    expect(metrics).toMatch(/^gt_stream_relayed_total\{outcome="gap"\} 0$/m);
    expect(Number(/^gt_stream_relayed_total\{outcome="applied"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(
      upTo - first,
    );
    // Both nodes noticed the cut and said so, and both said when they were back.
    for (const run of runs) {
      await waitFor(`node ${run.index} back on Redis`, () => /Redis at \S+ is back after/.test(run.output()));
      expect(run.output()).toMatch(/Redis at \S+ unavailable \(.+\): live streams carry only this node's events/);
    }
  }, 300_000);
});
