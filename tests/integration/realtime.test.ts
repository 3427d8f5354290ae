/**
 * The live streams with a real socket.io client against a real town (real git, virtual
 * time): a client joins a rig's topic, gets a snapshot and then deltas; its connection
 * drops while the town keeps working; it reconnects and, resumed from its cursor, has
 * received every one of the rig's events exactly once and in order. Too far behind, it
 * gets a fresh snapshot instead. Unauthenticated connections are refused; the first
 * protocol's events still work.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Authenticator } from '@/server/auth/authenticator';
import type { Credentials } from '@/server/auth/credentials';
import type { DomainEvent } from '@/contracts/events';
import type { Town } from '@/server/engine/town';
import { STREAM_EVENTS, type JoinAck, type RigDetail } from '@/contracts/realtime';
import { attachRealtime, type Realtime } from '@/server/realtime/socket';
import { StreamClient } from '@/lib/stream-client';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const credentials: Credentials = {
  mode: 'on',
  operatorToken: 'operator-token-for-tests',
  viewerToken: 'viewer-token-for-tests',
  sessionSecret: 'a-session-secret-of-some-length',
  file: '/dev/null',
  stored: { operator: false, viewer: false },
  createdFile: false,
};

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const key = (e: DomainEvent) => JSON.stringify(e);

/** Drops the client's connection (as a network outage would) and keeps it down until `socket.connect()`. */
async function dropConnection(client: StreamClient): Promise<void> {
  client.socket.io.reconnection(false);
  client.socket.io.engine.close();
  await waitFor('the disconnect', () => !client.socket.connected);
  client.socket.io.reconnection(true);
}

describe('live streams', () => {
  let h: Harness;
  let town: Town;
  let http: HttpServer;
  let realtime: Realtime;
  let url: string;
  const clients: Array<{ close(): void }> = [];

  async function setUp(hub: Parameters<typeof attachRealtime>[0]['hub'] = {}) {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 20_000 } });
    await town.polecats.add('myproject', 3);
    town.convoys.create(
      'sprint',
      Array.from({ length: 12 }, (_, i) => ({ rig: 'myproject', title: `bead ${i}`, paths: [i % 2 ? 'core/' : 'ui/'] })),
    );
    http = createServer((_req, res) => res.writeHead(404).end());
    realtime = attachRealtime({
      httpServer: http,
      town,
      store: h.store,
      auth: new Authenticator(credentials),
      hub: { coalesceMs: 10, viewIntervalMs: 10, ...hub },
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await realtime?.close();
    await new Promise((r) => http?.close(r));
    await town?.stop();
    await h?.cleanup();
  });

  function follow(topic: string) {
    const client = new StreamClient(url, { token: credentials.viewerToken });
    clients.push(client);
    const got = { snapshots: [] as unknown[], events: [] as DomainEvent[], views: [] as unknown[], acks: [] as JoinAck[] };
    client.subscribe(topic, {
      snapshot: (view) => got.snapshots.push(view),
      delta: (items, view) => {
        for (const i of items) if (i.kind === 'event') got.events.push(i.event);
        if (view) got.views.push(view);
      },
      joined: (ack) => got.acks.push(ack),
    });
    return { client, got };
  }

  it('gives a rig room a snapshot, then deltas, and misses nothing across a reconnect', async () => {
    await setUp();
    const published: DomainEvent[] = [];
    town.bus.subscribe((e) => {
      if ('rig' in e && e.rig === 'myproject') published.push(e);
    });
    const { client, got } = follow('rig:myproject');
    await waitFor('the snapshot', () => got.snapshots.length === 1);
    expect((got.snapshots[0] as RigDetail).rig.name).toBe('myproject');
    expect(got.acks[0]).toEqual({ ok: true, mode: 'snapshot', replayed: 0, node: 'local', missed: [] });

    town.start();
    await runUntil(h.clock, town, () => town.rigs.get('myproject')!.counters.merged >= 2, 3_600_000);
    await waitFor('the deltas to catch up', () => got.events.length === published.length);
    expect(got.events.map(key)).toEqual(published.map(key));
    expect(got.views.length).toBeGreaterThan(0);
    expect((got.views.at(-1) as RigDetail).rig.merged).toBe(town.rigs.get('myproject')!.counters.merged);

    // The connection drops; the town keeps working while the client is away; then it comes back.
    await dropConnection(client);
    const before = published.length;
    await runUntil(h.clock, town, () => town.rigs.get('myproject')!.counters.merged >= 5, 3_600_000);
    expect(published.length).toBeGreaterThan(before);
    client.socket.connect();

    await waitFor('the reconnect and the replay', () => got.events.length === published.length, 30_000);
    expect(got.events.map(key)).toEqual(published.map(key)); // every event, once, in order
    const resumed = got.acks.at(-1)!;
    expect(resumed).toMatchObject({ ok: true, mode: 'resume' });
    expect(resumed.ok && resumed.replayed).toBeGreaterThan(0);
    expect(got.snapshots.length).toBe(2); // a fresh view after the replay
  });

  it('sends a fresh snapshot to a client too far behind for the replay buffer', async () => {
    await setUp({ ringEntries: 2 });
    const { client, got } = follow('rig:myproject');
    await waitFor('the snapshot', () => got.snapshots.length === 1);
    await dropConnection(client);
    town.start();
    // Many pushes while away (each step's events are flushed before the next).
    for (let i = 0; i < 40 && town.rigs.get('myproject')!.counters.merged < 3; i++) {
      await runUntil(h.clock, town, () => false, 20_000);
      await new Promise((r) => setTimeout(r, 30));
    }
    client.socket.connect();
    await waitFor('the reconnect', () => got.acks.length === 2, 30_000);
    expect(got.acks[1]).toEqual({ ok: true, mode: 'snapshot', replayed: 0, node: 'local', missed: ['local'] });
    await waitFor('the fresh snapshot', () => got.snapshots.length === 2);
    expect((got.snapshots[1] as RigDetail).rig.merged).toBe(town.rigs.get('myproject')!.counters.merged);
  });

  it('streams a convoy: its view on join, then the events of its beads as they move', async () => {
    await setUp();
    const convoy = town.convoys.list()[0];
    const { got } = follow(`convoy:${convoy.id}`);
    await waitFor('the snapshot', () => got.snapshots.length === 1);
    expect(got.snapshots[0]).toMatchObject({ id: convoy.id, title: 'sprint', progress: { done: 0, total: 12 } });
    town.start();
    await runUntil(h.clock, town, () => town.rigs.get('myproject')!.counters.merged >= 2, 3_600_000);
    await waitFor('bead events', () => got.events.some((e) => e.type === 'bead.status_changed' && e.to === 'done'));
    const beads = new Set(convoy.beadIds);
    for (const e of got.events)
      expect('bead' in e ? beads.has(e.bead as string) : 'convoy' in e && e.convoy === convoy.id).toBe(true);
    await waitFor('a view with progress', () => got.views.some((v) => (v as { progress: { done: number } }).progress.done >= 1));
  });

  it('refuses a malformed cursor list and changes nothing for the client', async () => {
    await setUp();
    const raw = connect(url, { transports: ['websocket'], reconnection: false, auth: { token: credentials.viewerToken } });
    clients.push({ close: () => raw.close() });
    await new Promise<void>((resolve) => raw.on('connect', resolve));
    const join = (since: unknown) =>
      new Promise<JoinAck>((resolve) => raw.emit(STREAM_EVENTS.join, { topic: 'town', since }, resolve));
    // The previous protocol's single cursor, a negative seq, an empty epoch, and more cursors than any cluster has.
    for (const since of [
      { epoch: 'abc', seq: 1 },
      [{ epoch: 'abc', seq: -1 }],
      [{ epoch: '', seq: 1 }],
      Array.from({ length: 65 }, (_, i) => ({ epoch: `e${i}`, seq: 1 })),
    ]) {
      const ack = await join(since);
      expect(ack.ok, JSON.stringify(since).slice(0, 80)).toBe(false);
    }
    // Refused joins left no subscription behind: a good one is a plain first join.
    expect(await join(null)).toEqual({ ok: true, mode: 'snapshot', replayed: 0, node: 'local', missed: [] });
  });

  it('refuses unknown topics and unauthenticated connections', async () => {
    await setUp();
    const { got } = follow('rig:atlantis');
    await waitFor('the refusal', () => got.acks.length === 1);
    expect(got.acks[0]).toEqual({ ok: false, error: "no such topic 'rig:atlantis'" });

    const stranger = connect(url, { transports: ['websocket'], reconnection: false, auth: { token: 'guess' } });
    clients.push({ close: () => stranger.close() });
    const error = await new Promise<Error>((resolve) => stranger.on('connect_error', resolve));
    expect(error.message).toBe('unauthorized');

    const foreign = connect(url, {
      transports: ['polling'],
      reconnection: false,
      auth: { token: credentials.operatorToken },
      extraHeaders: { origin: 'https://evil.example' },
    });
    clients.push({ close: () => foreign.close() });
    const refused = await new Promise<Error>((resolve) => foreign.on('connect_error', resolve));
    expect(refused.message).toMatch(/xhr poll error|refused|forbidden/i);
  });
});
