/**
 * Forwarding across nodes (docs/cluster.md, "Forwarding"): two real server processes on
 * loopback ports sharing one SQLite file and one cluster secret. A rig owned by node-a is
 * commanded and read through node-b: node-b relays to node-a with the caller's identity, so
 * node-a runs, authorises and audits it as that caller; a forged forwarding header without
 * the secret is refused; with node-a killed (SIGKILL) node-b answers 503 naming node-a
 * until it claims the rig, and then answers itself; and every node lists every rig of the town.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../contracts/activity';
import type { ClusterView, TownRigsView } from '../../contracts/cluster';
import { io as connect, type Socket } from 'socket.io-client';
import {
  STREAM_EVENTS,
  type Cursor,
  type JoinAck,
  type RigDetail,
  type StreamDelta,
  type StreamSnapshot,
} from '../../contracts/realtime';
import type { RefineryStatsView, StatusView, TownOverview } from '../../contracts/town';
import { forwardingHeaders } from '../../server/cluster/forwarded-identity';
import { ClusterNodes, ownerOf, until, type ClusterNode as Node } from '../support/cluster-nodes';
import { clusterServices, type ClusterServices } from '../support/cluster-services';
import { CHROMIUM_ARGS, chromiumInstalled, chromiumPath } from '../../scripts/chromium-path.mjs';
import { screenshot } from '../e2e/screenshots';

const OPERATOR = 'forwarding-test-operator-token';
const VIEWER = 'forwarding-test-viewer-token';
const SECRET = 'forwarding-test-cluster-secret';
interface Answer<T = unknown> {
  status: number;
  body: T;
  servedBy: string | null;
}

describe('requests about a rig another node runs', { timeout: 600_000 }, () => {
  let root: string;
  let nodes: ClusterNodes | null = null;
  afterEach(async () => {
    await nodes?.killAll();
    nodes = null;
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A node on the shared SQLite file, with the viewer token and the cluster secret. */
  function startNode(name: string): Promise<Node> {
    nodes ??= new ClusterNodes(root, OPERATOR, {
      GT_DATABASE_FILE: path.join(root, 'shared.db'),
      GT_VIEWER_TOKEN: VIEWER,
      GT_CLUSTER_SECRET: SECRET,
      GT_HEARTBEAT_MS: '500',
      // Generous: a page compiling in `next dev` stalls a node's event loop for seconds.
      GT_LEASE_TTL_MS: '6000',
    });
    return nodes.start(name);
  }

  async function call<T>(
    node: Node,
    method: 'GET' | 'POST',
    route: string,
    options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const token = options.token === undefined ? OPERATOR : options.token;
    const res = await fetch(`${node.url}${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'content-type': 'application/json',
        'x-gt-actor': 'ada',
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, servedBy: res.headers.get('x-gt-served-by') };
  }

  async function ok<T>(node: Node, method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    const answer = await call<T>(node, method, route, { body });
    if (answer.status >= 300)
      throw new Error(`${method} ${route} on ${node.name}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  const upstream = (name: string) => nodes!.upstream(name);

  /**
   * A rig's detail without what moves with the moment it was taken (the two nodes answer at
   * different times): `now`, and how long the Refinery's window has been observed.
   */
  const timeless = (d: unknown): unknown =>
    JSON.parse(JSON.stringify(d, (key, value: unknown) => (key === 'now' || key === 'observed_ms' ? 0 : value)));
  const detail = (d: RigDetail) => timeless(d);

  it('runs them on the owner as the caller, refuses forged forwarding, and answers 503 while the owner is dead', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gt-forward-'));
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    await ok(a, 'POST', '/api/commands/rig.add', { name: 'alpha', url: await upstream('alpha'), polecats: 0, node: 'node-a' });
    await until(
      () => ok<ClusterView>(b, 'GET', '/api/cluster'),
      (v) => v.nodes.some((n) => n.name === 'node-a' && n.alive && n.rigs.some((l) => l.rig === 'alpha')),
    );
    expect((await ok<ClusterView>(b, 'GET', '/api/cluster')).attached).toEqual([]);
    await ok(b, 'POST', '/api/commands/rig.add', { name: 'gamma', url: await upstream('gamma'), polecats: 0, node: 'node-b' });

    // Every node lists every rig of the town, with the node that runs it.
    const listed = (v: TownRigsView) => v.rigs.map((r) => `${r.name}@${r.node}`);
    for (const node of [a, b]) {
      const rigs = await ok<TownRigsView>(node, 'GET', '/api/rigs');
      expect([node.name, listed(rigs), rigs.unavailable]).toEqual([node.name, ['alpha@node-a', 'gamma@node-b'], []]);
      const status = await ok<StatusView>(node, 'GET', '/api/status');
      expect(status.rigs.map((r) => `${r.name}@${r.node}`)).toEqual(['alpha@node-a', 'gamma@node-b']);
    }

    // A command sent to node-b acts on node-a's rig, and node-a audits it as the caller.
    const parked = await call<{ name: string; status: string }>(b, 'POST', '/api/commands/rig.park', { body: { rig: 'alpha' } });
    expect(parked.status).toBe(200);
    expect(parked.servedBy).toBe('node-a');
    const onA = await ok<RigDetail>(a, 'GET', '/api/rigs/alpha');
    expect(onA.rig.status).toBe('parked');
    const audit = await ok<AuditEntry[]>(a, 'GET', '/api/audit?action=rig.park');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'ada', role: 'operator', action: 'rig.park', ok: true });

    // A bead of node-a's rig, created and closed through node-b (close names only the bead).
    const bead = await ok<{ id: string }>(b, 'POST', '/api/commands/bead.create', {
      rig: 'alpha',
      title: 'forwarded work',
      description: '',
      priority: 2,
      paths: ['ui/'],
    });
    const closed = await call(b, 'POST', '/api/commands/bead.close', { body: { id: bead.id } });
    expect([closed.status, closed.servedBy]).toEqual([200, 'node-a']);
    expect(await ok(a, 'GET', `/api/beads/${bead.id}`)).toMatchObject({ rig: 'alpha', status: 'closed' });

    // The REST route that names the rig in its path is relayed the same way.
    const tier = await call(b, 'POST', '/api/rigs/alpha/refinery/scale', { body: { workers: 2 } });
    expect([tier.status, tier.servedBy]).toEqual([200, 'node-a']);

    // The body limit applies on node-b before anything is relayed: a 413 from node-b itself.
    const huge = await fetch(`${b.url}/api/rigs/alpha/split`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ partitions: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect([huge.status, huge.headers.get('x-gt-served-by')]).toEqual([413, null]);

    // Reads: the rig on node-b is the rig on node-a.
    const onB = await call<RigDetail>(b, 'GET', '/api/rigs/alpha');
    expect(onB.servedBy).toBe('node-a');
    expect(detail(onB.body)).toEqual(detail(await ok<RigDetail>(a, 'GET', '/api/rigs/alpha')));
    expect(onB.body.rig.refineryWorkers).toBe(2);
    for (const read of [
      '/api/rigs/alpha/split/suggest',
      '/api/rigs/alpha/agent',
      '/api/mq?rig=alpha',
      '/api/refinery/stats?rig=alpha',
    ]) {
      const relayed = await call(b, 'GET', read);
      expect([read, relayed.status, relayed.servedBy]).toEqual([read, 200, 'node-a']);
      expect(timeless(relayed.body)).toEqual(timeless((await call(a, 'GET', read)).body));
    }
    // A rig no node knows is a 404, as on one server.
    expect((await call(b, 'GET', '/api/rigs/nowhere')).status).toBe(404);
    expect((await call(b, 'POST', '/api/commands/rig.unpark', { body: { rig: 'nowhere' } })).status).toBe(404);

    // A viewer is refused on node-b just as on node-a, and nothing changes.
    for (const node of [a, b]) {
      const refused = await call<{ error: { code: string } }>(node, 'POST', '/api/commands/rig.unpark', {
        body: { rig: 'alpha' },
        token: VIEWER,
      });
      expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
    }
    // A viewer's read is relayed as the viewer: allowed.
    expect((await call(b, 'GET', '/api/rigs/alpha', { token: VIEWER })).status).toBe(200);

    // Forged forwarding headers, without the secret, are refused on the owner: with no token,
    // and with a viewer's token claiming an operator.
    const forged = {
      'x-gt-forwarded-by': 'node-b',
      'x-gt-forwarded-role': 'operator',
      'x-gt-forwarded-actor': 'mallory',
      'x-gt-forwarded-signature': 'bm90LXRoZS1zZWNyZXQ',
    };
    for (const token of [null, VIEWER]) {
      const refused = await call<{ error: { code: string; message: string } }>(a, 'POST', '/api/commands/rig.unpark', {
        body: { rig: 'alpha' },
        token,
        headers: forged,
      });
      expect(refused.status).toBe(401);
      expect(refused.body.error.message).toMatch(/cluster secret/);
    }
    expect((await ok<RigDetail>(a, 'GET', '/api/rigs/alpha')).rig.status).toBe('parked');
    expect((await ok<AuditEntry[]>(a, 'GET', '/api/audit?actor=mallory')).length).toBe(0);

    // The loop guard: a genuinely forwarded request that lands on a node not running the rig is
    // answered there (as a rig it does not have), never relayed on.
    const signed = forwardingHeaders(SECRET, 'node-a', { name: 'ada', role: 'operator' });
    const landed = await call(b, 'GET', '/api/rigs/alpha', { token: null, headers: signed });
    expect([landed.status, landed.servedBy]).toEqual([404, null]);

    // The owner killed: node-b answers 503 naming it until node-b claims the rig, then itself.
    a.run.crash();
    await a.run.exited;
    const dead = await call<{ error: { code: string; message: string } }>(b, 'GET', '/api/rigs/alpha');
    expect(dead.status).toBe(503);
    expect(dead.body.error.message).toContain("node 'node-a'");
    const partial = await ok<TownRigsView>(b, 'GET', '/api/rigs');
    expect(listed(partial)).toEqual(['gamma@node-b']);
    expect(partial.unavailable).toMatchObject([{ name: 'alpha', node: 'node-a' }]);
    const deadCommand = await call<{ error: { code: string } }>(b, 'POST', '/api/commands/rig.unpark', {
      body: { rig: 'alpha' },
    });
    expect([deadCommand.status, deadCommand.body.error.code]).toEqual([503, 'unavailable']);
    const claimed = await until(
      () => call<RigDetail>(b, 'GET', '/api/rigs/alpha'),
      (answer) => answer.status === 200,
    );
    expect(claimed.servedBy).toBeNull();
    expect(claimed.body.rig).toMatchObject({ status: 'parked', refineryWorkers: 2 });
    expect((await ok<ClusterView>(b, 'GET', '/api/cluster')).attached).toEqual(['alpha', 'gamma']);
    expect(listed(await ok<TownRigsView>(b, 'GET', '/api/rigs'))).toEqual(['alpha@node-b', 'gamma@node-b']);
    const unparked = await call<{ status: string }>(b, 'POST', '/api/commands/rig.unpark', { body: { rig: 'alpha' } });
    expect([unparked.status, unparked.servedBy]).toEqual([200, null]);
  });
});

/**
 * The town-wide views on three nodes sharing PostgreSQL and Redis: node-a runs alpha, node-b
 * beta, node-c nothing. Every node answers the overview, the merge queue and the Refinery's
 * numbers alike (all rigs of the town), node-c's overview page shows both rigs and no "No rigs
 * yet", node-c serves alpha's page, and a socket on node-c subscribed to `rig:alpha` gets
 * node-a's snapshot and then alpha's events live; it resumes on node-b from its cursors. With
 * node-a killed, its rig is listed as unavailable, not left out.
 */
describe('the town-wide views on every node', { timeout: 600_000 }, () => {
  let root = '';
  let services: ClusterServices | undefined;
  let cluster: ClusterNodes | undefined;
  const sockets: Socket[] = [];
  let browser: Browser | undefined;
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await browser?.close();
    browser = undefined;
    await cluster?.killAll();
    cluster = undefined;
    await services?.close();
    services = undefined;
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** What differs between two nodes' answers by when or where they were taken, not by what the town is. */
  const NODE_LOCAL = new Set([
    'now',
    'observed_ms',
    'observedMs',
    'ageMs',
    'lastPatrolAt',
    // Each node's own: its Deacon patrols the rigs it runs; its time share is its own.
    'deacon',
    'patrolDiagram',
    'timeShare',
  ]);
  const comparable = (d: unknown): unknown =>
    JSON.parse(JSON.stringify(d, (key, value: unknown) => (NODE_LOCAL.has(key) ? null : value)));

  /** `route`'s answers from `nodes`, read again a few times while the town moves between the reads. */
  async function alike<T>(nodes: Node[], route: string): Promise<T[]> {
    let answers: T[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      answers = await Promise.all(nodes.map((n) => cluster!.api<T>(n, 'GET', route)));
      const first = JSON.stringify(comparable(answers[0]));
      if (answers.every((a) => JSON.stringify(comparable(a)) === first)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const [i, answer] of answers.entries())
      expect([route, nodes[i].name, comparable(answer)]).toEqual([route, nodes[i].name, comparable(answers[0])]);
    return answers;
  }

  function socketOn(node: Node): Socket {
    const socket = connect(node.url, { transports: ['websocket'], reconnection: false, auth: { token: OPERATOR } });
    sockets.push(socket);
    return socket;
  }
  const join = (socket: Socket, topic: string, since?: Cursor[]) =>
    new Promise<JoinAck>((resolve) => socket.emit(STREAM_EVENTS.join, { topic, since }, resolve));

  it('answers the overview, the merge queue, the Refinery and a rig’s live view alike on every node', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gt-views-'));
    services = await clusterServices('views');
    cluster = new ClusterNodes(root, OPERATOR, {
      ...services.env,
      GT_CLUSTER_SECRET: SECRET,
      GT_HEARTBEAT_MS: '500',
      GT_LEASE_TTL_MS: '10000',
    });
    // The first node migrates the database; the others find it migrated.
    const a = await cluster.start('node-a');
    const [b, c] = await Promise.all([cluster.start('node-b'), cluster.start('node-c')]);
    const all = [a, b, c];
    await cluster.command(a, 'rig.add', { name: 'alpha', url: await cluster.upstream('alpha'), polecats: 0, node: 'node-a' });
    await cluster.command(b, 'rig.add', { name: 'beta', url: await cluster.upstream('beta'), polecats: 0, node: 'node-b' });
    await cluster.command(b, 'refinery.scale', { rig: 'beta', workers: 3 });
    await until(
      () => cluster!.cluster(c),
      (v) => ownerOf(v, 'alpha') === 'node-a' && ownerOf(v, 'beta') === 'node-b' && v.nodes.every((n) => n.alive),
    );
    await cluster.command(a, 'bead.create', { rig: 'alpha', title: 'alpha work', description: '', priority: 2, paths: [] });

    // The overview: every rig of the town on every node, counted in the totals, the same answer.
    for (const town of await alike<TownOverview>(all, '/api/town')) {
      expect(town.rigs.map((r) => r.name)).toEqual(['alpha', 'beta']);
      expect(town.unavailableRigs).toEqual([]);
      expect(town.totals).toMatchObject({ rigs: 2, openBeads: 1 });
      expect(town.rigs.find((r) => r.name === 'beta')!.refineryWorkers).toBe(3);
      expect(town.partitionDiagram).toContain('Refinery ×3');
    }

    // The merge queue and the Refinery's numbers without ?rig=: the town's, alike everywhere.
    await alike(all, '/api/mq');
    const [stats] = await alike<RefineryStatsView>([c, a, b], '/api/refinery/stats');
    const perRig = await Promise.all(
      ['alpha', 'beta'].map((r) => cluster!.api<RefineryStatsView>(c, 'GET', `/api/refinery/stats?rig=${r}`)),
    );
    expect(stats.workers).toBe(perRig[0].workers + perRig[1].workers);
    expect(stats.unavailable_rigs).toEqual([]);

    // Node-c runs no rig, yet its overview page is the town's, and alpha's page is there.
    const page = async (node: Node, route: string) => {
      const res = await fetch(`${node.url}${route}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
      return { status: res.status, html: await res.text() };
    };
    const overview = await page(c, '/');
    expect(overview.status).toBe(200);
    expect(overview.html).toContain('data-testid="rig-alpha"');
    expect(overview.html).toContain('data-testid="rig-beta"');
    expect(overview.html).not.toContain('data-testid="no-rigs"');
    expect((await page(c, '/rigs/alpha')).status).toBe(200);
    expect((await page(c, '/rigs/nowhere')).status).toBe(404);

    // rig:alpha on node-c: node-a's view of it, then its events live from node-a.
    const watcher = socketOn(c);
    const snapshots: StreamSnapshot[] = [];
    const deltas: StreamDelta[] = [];
    watcher.on(STREAM_EVENTS.snapshot, (s: StreamSnapshot) => snapshots.push(s));
    watcher.on(STREAM_EVENTS.delta, (d: StreamDelta) => deltas.push(d));
    expect(await join(watcher, 'rig:nowhere')).toMatchObject({ ok: false, error: "no such topic 'rig:nowhere'" });
    expect(await join(watcher, 'rig:alpha')).toMatchObject({ ok: true, mode: 'snapshot', node: 'node-c' });
    const snapshot = snapshots.find((s) => s.topic === 'rig:alpha')!;
    expect(comparable(snapshot.view)).toEqual(comparable(await cluster.api<RigDetail>(a, 'GET', '/api/rigs/alpha')));
    const cursors = new Map(snapshot.cursors.map((k) => [k.epoch, k]));
    const track = (d: StreamDelta) => {
      if (d.items.length > 0) cursors.set(d.epoch, { epoch: d.epoch, seq: d.seq, node: d.node });
    };
    watcher.on(STREAM_EVENTS.delta, track);
    const eventOf = (d: StreamDelta, title: string) =>
      d.items.some((i) => i.kind === 'event' && i.event.type === 'bead.created' && JSON.stringify(i.event).includes(title));
    await cluster.command(b, 'bead.create', { rig: 'alpha', title: 'seen live', description: '', priority: 2, paths: [] });
    const live = await until(
      async () => deltas.find((d) => d.topic === 'rig:alpha' && eventOf(d, 'seen live')) ?? null,
      (d) => d !== null,
    );
    expect(live!.node).toBe('node-a');
    // The view follows: node-a's answer with the new bead, asked for when its event came in.
    await until(
      async () => deltas.filter((d) => d.topic === 'rig:alpha' && d.view).map((d) => (d.view as RigDetail).rig.openBeads),
      (seen) => seen.includes(2),
    );

    // Offline meanwhile, then back on node-b from the cursors: what it missed is replayed.
    watcher.close();
    await cluster.command(a, 'bead.create', { rig: 'alpha', title: 'while away', description: '', priority: 2, paths: [] });
    await until(
      () => cluster!.api<RigDetail>(b, 'GET', '/api/rigs/alpha'),
      (d) => d.rig.openBeads === 3,
    );
    const back = socketOn(b);
    const replayed: StreamDelta[] = [];
    back.on(STREAM_EVENTS.delta, (d: StreamDelta) => replayed.push(d));
    const resumed = await until(
      () => join(back, 'rig:alpha', [...cursors.values()]),
      (ack) => ack.ok,
    );
    expect(resumed).toMatchObject({ ok: true, mode: 'resume', node: 'node-b', missed: [] });
    expect(replayed.some((d) => d.replay && eventOf(d, 'while away'))).toBe(true);
    expect(replayed.some((d) => eventOf(d, 'seen live'))).toBe(false);

    // A browser on node-c's page of alpha: node-a's rig, live (one more bead shows at once).
    expect(chromiumInstalled(), `these tests need Chromium at ${chromiumPath()}`).toBe(true);
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    const rigPage = await browser.newPage();
    await rigPage.goto(`${c.url}/rigs/alpha?token=${encodeURIComponent(OPERATOR)}`);
    await expect.poll(() => rigPage.getByText('3 open beads').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await cluster.command(a, 'bead.create', { rig: 'alpha', title: 'on the page', description: '', priority: 2, paths: [] });
    await expect.poll(() => rigPage.getByText('4 open beads').count(), { timeout: 60_000 }).toBeGreaterThan(0);

    // Node-a killed: until its rig is claimed, every node lists alpha as unavailable, naming node-a.
    a.run.crash();
    await a.run.exited;
    const partial = await cluster.api<TownOverview>(c, 'GET', '/api/town');
    expect(partial.rigs.map((r) => r.name)).toEqual(['beta']);
    expect(partial.unavailableRigs).toMatchObject([{ name: 'alpha', node: 'node-a' }]);
    const partialQueue = await cluster.api<{ unavailable_rigs: unknown[] }>(b, 'GET', '/api/mq');
    expect(partialQueue.unavailable_rigs).toMatchObject([{ name: 'alpha', node: 'node-a' }]);
    const unpaged = await page(c, '/');
    expect(unpaged.html).toContain('data-testid="unavailable-rigs"');
    expect(unpaged.html).not.toContain('data-testid="no-rigs"');
    for (const theme of ['dark', 'light'] as const) {
      const overviewPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await overviewPage.addInitScript((t) => localStorage.setItem('gt-theme', t), theme);
      await overviewPage.goto(`${c.url}/?token=${encodeURIComponent(OPERATOR)}`);
      await overviewPage.getByTestId('unavailable-rigs').waitFor();
      await overviewPage.getByTestId('rig-beta').waitFor();
      expect(await overviewPage.getByTestId('no-rigs').count()).toBe(0);
      await screenshot(overviewPage, theme === 'dark' ? 'cluster-overview-unavailable' : 'cluster-overview-unavailable-light');
      await overviewPage.close();
    }
  });
});
