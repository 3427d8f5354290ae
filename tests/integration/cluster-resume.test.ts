/**
 * Resuming a live stream on another node, and a Redis that is down when the nodes start.
 * Real parts in one process: two (or three) towns on real git and virtual time, each with
 * its own socket.io server on the Redis Streams adapter, sharing one real Redis under this
 * run's own key prefix; the browser's stream client (lib/stream-client.ts) reaches them
 * through a TCP forwarder that plays the load balancer.
 *
 * - A client on node A drops; the balancer sends its reconnect to node B; B replays every
 *   event of A's the client missed, from B's copy of A's pushes, and the client has every
 *   event once and in order (`mode: 'resume'`, served by B).
 * - A node that joined too late to hold what the client missed says so (`missed: ['a']`)
 *   and sends a snapshot: a gap across nodes is never silent.
 * - A Redis that is not there at start: the node says so (log and status), its own client
 *   still gets its events live; once Redis is started the node reports `ready` and another
 *   node's client sees its events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '@/contracts/events';
import type { JoinAck } from '@/contracts/realtime';
import type { Logger } from '@/server/engine/context';
import type { Town } from '@/server/engine/town';
import { RedisLink } from '@/server/realtime/redis-link';
import { attachRealtime, type Realtime } from '@/server/realtime/socket';
import { StreamClient } from '@/lib/stream-client';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';
import { dropPrefix, ensureRedis, killConnections, redisPrefix, REDIS_URL, type TestRedis } from '../support/redis';

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const key = (e: DomainEvent) => JSON.stringify(e);

/** A load balancer in miniature: TCP to the current backend; `switchTo` sends new connections elsewhere. */
async function balancer(port: number) {
  let target = port;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    open.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    switchTo(next: number) {
      target = next;
    },
    close: () => {
      for (const s of open) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

/** Drops the client's connection (as a network outage would) and keeps it down until `socket.connect()`. */
async function dropConnection(client: StreamClient): Promise<void> {
  client.socket.io.reconnection(false);
  client.socket.io.engine.close();
  await waitFor('the disconnect', () => !client.socket.connected);
  client.socket.io.reconnection(true);
}

interface Node {
  name: string;
  h: Harness;
  town: Town;
  link: RedisLink;
  realtime: Realtime;
  http: HttpServer;
  port: number;
  logs: string[];
}

describe('live streams resumed across nodes', () => {
  let redis: TestRedis;
  let prefix: string;
  const nodes: Node[] = [];
  const closers: Array<() => unknown> = [];

  beforeAll(async () => {
    redis = await ensureRedis();
  });
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.destroy();
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    for (const n of nodes.splice(0)) {
      await n.realtime.close();
      await new Promise((r) => n.http.close(r));
      await n.town.stop();
      await n.h.cleanup();
    }
  });

  async function startNode(name: string, options: { rig?: boolean; url?: string } = {}): Promise<Node> {
    const h = await createHarness();
    const town = await h.open();
    if (options.rig) {
      await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 20_000 } });
      await town.polecats.add('myproject', 3);
      town.convoys.create(
        'sprint',
        Array.from({ length: 12 }, (_, i) => ({ rig: 'myproject', title: `bead ${i}`, paths: [i % 2 ? 'core/' : 'ui/'] })),
      );
    }
    const logs: string[] = [];
    const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
    const link = new RedisLink({ url: options.url ?? REDIS_URL, prefix, node: `${name}-${process.pid}`, log });
    link.connect();
    const http = createServer((_req, res) => res.writeHead(404).end());
    const realtime = attachRealtime({
      httpServer: http,
      town,
      store: h.store,
      node: name,
      redis: link,
      hub: { coalesceMs: 10, viewIntervalMs: 10 },
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const node = { name, h, town, link, realtime, http, port: (http.address() as AddressInfo).port, logs };
    nodes.push(node);
    return node;
  }

  function follow(url: string) {
    const client = new StreamClient(url);
    closers.push(() => client.close());
    const got = { events: [] as DomainEvent[], acks: [] as JoinAck[], snapshots: 0 };
    client.subscribe('town', {
      snapshot: () => void got.snapshots++,
      delta: (items) => {
        for (const i of items) if (i.kind === 'event') got.events.push(i.event);
      },
      joined: (ack) => got.acks.push(ack),
    });
    return { client, got };
  }

  const published = (town: Town) => {
    const list: DomainEvent[] = [];
    town.bus.subscribe((e) => list.push(e));
    return list;
  };
  const merged = (n: Node) => n.town.rigs.get('myproject')!.counters.merged;

  it('resumes on node B from B’s copy of node A’s pushes: every event once, in order', async () => {
    prefix = redisPrefix('resume');
    const a = await startNode('a', { rig: true });
    const b = await startNode('b');
    await waitFor('both links ready', () => a.link.ready() && b.link.ready());
    const fromA = published(a.town);
    const lb = await balancer(a.port);
    closers.push(() => lb.close());

    const { client, got } = follow(lb.url);
    const watcherOnB = follow(`http://127.0.0.1:${b.port}`).got;
    await waitFor('the snapshots', () => got.snapshots === 1 && watcherOnB.snapshots === 1);
    a.town.start();
    await runUntil(a.h.clock, a.town, () => merged(a) >= 2, 3_600_000);
    await waitFor('A’s events on the client', () => got.events.length === fromA.length);
    expect(got.events.map(key)).toEqual(fromA.map(key));

    // The client's connection drops; A goes on; its next connection lands on node B.
    await dropConnection(client);
    lb.switchTo(b.port);
    const before = fromA.length;
    await runUntil(a.h.clock, a.town, () => merged(a) >= 4, 3_600_000);
    expect(fromA.length).toBeGreaterThan(before);
    await waitFor('B to hold all of A’s pushes', () => watcherOnB.events.length === fromA.length);
    client.socket.connect();

    await waitFor('the replay on B', () => got.events.length >= fromA.length && got.acks.length >= 2);
    expect(got.acks.at(-1)).toMatchObject({ ok: true, mode: 'resume', node: 'b', missed: [] });
    const resumed = got.acks.at(-1)!;
    expect(resumed.ok && resumed.replayed).toBeGreaterThan(0);
    expect(got.events.map(key)).toEqual(fromA.map(key)); // every event, once, in order

    // And live again, through B.
    await runUntil(a.h.clock, a.town, () => merged(a) >= 5, 3_600_000);
    await waitFor('live events through B', () => got.events.length === fromA.length);
    expect(got.events.map(key)).toEqual(fromA.map(key));
    // Through the cluster, the watcher on B saw exactly what A published too.
    expect(watcherOnB.events.map(key)).toEqual(fromA.map(key));
  });

  it('says which node it cannot replay when it joined after what the client missed', async () => {
    prefix = redisPrefix('missed');
    const a = await startNode('a', { rig: true });
    await waitFor('the link', () => a.link.ready());
    const fromA = published(a.town);
    const lb = await balancer(a.port);
    closers.push(() => lb.close());
    const { client, got } = follow(lb.url);
    await waitFor('the snapshot', () => got.snapshots === 1);
    a.town.start();
    await runUntil(a.h.clock, a.town, () => merged(a) >= 1, 3_600_000);
    await waitFor('A’s events', () => got.events.length === fromA.length);

    await dropConnection(client);
    const missedFrom = fromA.length;
    await runUntil(a.h.clock, a.town, () => merged(a) >= 2, 3_600_000); // C is not there yet: it never sees these
    const c = await startNode('c');
    await waitFor('C’s link', () => c.link.ready());
    // C joins the stream from here; give it pushes of A's to hold.
    const watcherOnC = follow(`http://127.0.0.1:${c.port}`).got;
    await waitFor('C’s snapshot', () => watcherOnC.snapshots === 1);
    await runUntil(a.h.clock, a.town, () => merged(a) >= 3, 3_600_000);
    await waitFor('C to hear from A', () => watcherOnC.events.length > 0);
    lb.switchTo(c.port);
    client.socket.connect();

    await waitFor('the answer on C', () => got.acks.length >= 2);
    expect(got.acks.at(-1)).toMatchObject({ ok: true, mode: 'snapshot', node: 'c', missed: ['a'] });
    expect(got.snapshots).toBe(2); // a fresh view instead of a silent hole
    // Nothing was replayed for A (C does not hold it all), and nothing was made up either.
    expect(got.events.map(key)).toEqual(fromA.slice(0, missedFrom).map(key));
    // From the snapshot on, A's events arrive live through C, in order.
    await runUntil(a.h.clock, a.town, () => merged(a) >= 4, 3_600_000);
    await waitFor('live events through C', () => key(got.events.at(-1)!) === key(fromA.at(-1)!));
    const live = got.events.slice(missedFrom);
    expect(live.length).toBeGreaterThan(0);
    expect(live.map(key)).toEqual(fromA.slice(fromA.length - live.length).map(key));
  });

  it('loses nothing when the nodes’ Redis connections are cut again and again mid-burst', async () => {
    prefix = redisPrefix('cuts');
    const a = await startNode('a', { rig: true });
    const b = await startNode('b');
    await waitFor('both links ready', () => a.link.ready() && b.link.ready());
    const fromA = published(a.town);
    const onB = follow(`http://127.0.0.1:${b.port}`).got;
    await waitFor('the snapshot', () => onB.snapshots === 1);
    a.town.start();
    let cuts = 0;
    let cutting = true;
    const cutter = (async () => {
      while (cutting) {
        cuts += await killConnections(redis, `gastown:a-${process.pid}`);
        cuts += await killConnections(redis, `gastown:b-${process.pid}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    for (let step = 0; step < 40 && merged(a) < 6; step++) {
      await runUntil(a.h.clock, a.town, () => false, 30_000);
      await new Promise((r) => setTimeout(r, 40)); // real time for the pushes to go out between cuts
    }
    cutting = false;
    await cutter;
    expect(cuts).toBeGreaterThan(6);
    await waitFor('B to have all of A’s events', () => onB.events.length >= fromA.length && a.link.ready(), 30_000);
    expect(onB.events.map(key)).toEqual(fromA.map(key)); // all, once, in order
    expect(b.realtime.hub.stats().relayed.gaps).toBe(0);
  });

  it('serves a node’s own events while Redis is down at start, and joins the cluster when Redis comes up', async () => {
    prefix = redisPrefix('down');
    // A Redis of this test's own on a free port, not started yet (the shared one is never stopped).
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const url = `redis://127.0.0.1:${port}`;

    const a = await startNode('a', { rig: true, url });
    await waitFor('the link to say it is down', () => a.link.status().mode === 'cluster' && !a.link.ready() && a.logs.length > 0);
    expect(a.link.status()).toMatchObject({ mode: 'cluster', redis: 'down' });
    expect(a.logs.join('\n')).toMatch(
      /Redis at redis:\/\/127\.0\.0\.1:\d+\/? unavailable \(.+\): live streams carry only this node's events/,
    );

    const fromA = published(a.town);
    const local = follow(`http://127.0.0.1:${a.port}`).got;
    await waitFor('the snapshot without Redis', () => local.snapshots === 1);
    a.town.start();
    await runUntil(a.h.clock, a.town, () => merged(a) >= 1, 3_600_000);
    await waitFor('local events without Redis', () => local.events.length === fromA.length);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-redis-'));
    const server: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    closers.push(async () => {
      server.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    });
    await waitFor('the link to come up', () => a.link.ready(), 30_000);
    expect(a.logs.join('\n')).toMatch(/Redis at \S+ is back after \d+ s: live streams shared again/);

    const b = await startNode('b', { url });
    await waitFor('B’s link', () => b.link.ready());
    const onB = follow(`http://127.0.0.1:${b.port}`).got;
    await waitFor('B’s snapshot', () => onB.snapshots === 1);
    const from = fromA.length;
    await runUntil(a.h.clock, a.town, () => merged(a) >= 3, 3_600_000);
    await waitFor('A’s events on B', () => onB.events.length > 0 && local.events.length === fromA.length);
    // B's client sees A's events from some point on, in order, and only A's real ones.
    await waitFor('B to catch up', () => key(onB.events.at(-1)!) === key(fromA.at(-1)!));
    const start = fromA.findIndex((e) => key(e) === key(onB.events[0]));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(onB.events.map(key)).toEqual(fromA.slice(start).map(key));
    expect(fromA.length).toBeGreaterThan(from);
  });
});
