/**
 * Failover across machines (issue 20, acceptance): three real server processes on loopback
 * ports, each with its own data directory as if on its own machine, sharing one fresh
 * PostgreSQL database and one Redis (a key prefix of this run's own). Six rigs with bare
 * upstream repositories, two added on each node; the scripted agent does real work on them.
 *
 * Node A, owning two busy rigs, is killed with SIGKILL. The others claim its rigs once their
 * leases lapse, rebuild them from the store and the upstreams (their clones made in their
 * own data directories; node A's disk is never read), and the work goes on until every bead
 * is done. Then every bead's request is on its upstream's target exactly once, nothing else
 * landed there, and `git fsck` finds every upstream clean. A browser on node B's activity
 * page gets node A's rigs' events on its own socket before the kill, and the same rigs'
 * events from their new owners after it.
 *
 * A second test pauses a node with SIGSTOP past its lease on PostgreSQL: once it wakes up,
 * neither the rig's records in the database nor the upstream's refs change by its hand.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamDelta } from '../../contracts/realtime';
import type { TownOverview } from '../../contracts/town';
import { CHROMIUM_ARGS, chromiumInstalled, chromiumPath } from '../../scripts/chromium-path.mjs';
import { ClusterNodes, owned, ownerOf, until, type ClusterNode } from '../support/cluster-nodes';
import { firstParentHistory, git, ROOT } from '../support/crash-server';
import { clusterServices, type ClusterServices } from '../support/cluster-services';
import type { TestDatabase } from '../support/postgres';

const TOKEN = 'cluster-failover-operator-token';

/** Rows of one query on the test's database. */
async function query<T extends pg.QueryResultRow>(db: TestDatabase, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function ensureChromium(): void {
  if (chromiumInstalled()) return;
  const r = spawnSync(process.execPath, ['scripts/find-chromium.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0 || !chromiumInstalled()) throw new Error(`these tests need Chromium at ${chromiumPath()}`);
}

/** A rig's event as node B's page received it on its socket. */
interface SeenEvent {
  node: string;
  rig: string;
  type: string;
  /** Index in arrival order. */
  n: number;
}

describe('a town on three nodes sharing PostgreSQL and Redis', { timeout: 900_000 }, () => {
  let root = '';
  let db: TestDatabase | undefined;
  let services: ClusterServices | undefined;
  let nodes: ClusterNodes | undefined;
  let browser: Browser | undefined;

  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    await nodes?.killAll();
    await services?.close();
    services = undefined;
    db = undefined;
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function setUp(): Promise<ClusterNodes> {
    root = await mkdtemp(path.join(os.tmpdir(), 'gt-failover-'));
    services = await clusterServices('failover');
    db = services.db;
    nodes = new ClusterNodes(root, TOKEN, {
      ...services.env,
      GT_HEARTBEAT_MS: '500',
      // Generous for a loaded 2-core machine: a page compiling in `next dev` stalls a node's
      // event loop for seconds, and a stall past the TTL loses its leases (as it should).
      GT_LEASE_TTL_MS: '10000',
      GT_TIME_SCALE: '4',
    });
    return nodes;
  }

  it("moves a killed node's busy rigs to the others, rebuilt from the upstreams, and lands every request exactly once", async () => {
    const cluster = await setUp();
    // The first node migrates the database; the others find it migrated.
    const a = await cluster.start('node-a');
    const [b, c] = await Promise.all([cluster.start('node-b'), cluster.start('node-c')]);
    // Node B's activity page, signed in with the token as a person would, open from the start.
    ensureChromium();
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    const seen: SeenEvent[] = [];
    let snapshots = 0;
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        // socket.io over engine.io: `42["stream:delta",{...}]` is an event packet.
        if (typeof payload !== 'string' || !payload.startsWith('42')) return;
        const [name, delta] = JSON.parse(payload.slice(2)) as [string, StreamDelta];
        if (name === 'stream:snapshot') snapshots++;
        if (name !== 'stream:delta') return;
        for (const item of delta.items) {
          if (item.kind !== 'event' || !('rig' in item.event) || typeof item.event.rig !== 'string') continue;
          seen.push({ node: delta.node, rig: item.event.rig, type: item.event.type, n: seen.length });
        }
      }),
    );
    await page.goto(`${b.url}/activity?token=${encodeURIComponent(TOKEN)}`, { timeout: 300_000 });
    await until(
      async () => snapshots,
      (n) => n > 0,
    );

    // Node A's rigs get the most work, so they are busy when it dies.
    const placement: Array<[ClusterNode, string, number]> = [
      [a, 'ash', 10],
      [a, 'birch', 10],
      [b, 'cedar', 3],
      [b, 'dogwood', 3],
      [c, 'elm', 3],
      [c, 'fir', 3],
    ];
    const upstreams = new Map<string, string>();
    const beads = new Map<string, string[]>();
    for (const [node, rig] of placement) {
      upstreams.set(rig, await cluster.upstream(rig));
      await cluster.command(node, 'rig.add', { name: rig, url: upstreams.get(rig), polecats: 2, node: node.name });
    }
    const before = await until(
      () => cluster.cluster(b),
      (v) => ['node-a', 'node-b', 'node-c'].every((n) => owned(v, n).length === 2),
    );
    expect(owned(before, 'node-a')).toEqual(['ash@1', 'birch@1']);
    for (const [node, rig, count] of placement) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const area = ['core/', 'ui/', 'tests/'][i % 3];
        const bead = await cluster.command<{ id: string }>(node, 'bead.create', {
          rig,
          title: `${rig} work ${i}`,
          description: '',
          priority: 1,
          paths: [area],
        });
        ids.push(bead.id);
      }
      beads.set(rig, ids);
    }

    const fromA = (e: SeenEvent) => e.node === 'node-a' && (e.rig === 'ash' || e.rig === 'birch');
    await until(
      async () => seen,
      (s) => s.some(fromA),
    );

    // Kill node A while both its rigs are busy: something landed, and polecats are at work.
    await until(
      async () => ({
        landed: await Promise.all(
          ['ash', 'birch'].map(async (r) => (await firstParentHistory(upstreams.get(r)!)).filter((m) => m.bead).length),
        ),
        town: await cluster.api<TownOverview>(a, 'GET', '/api/town'),
      }),
      ({ landed, town }) =>
        landed.every((n) => n >= 1) &&
        ['ash', 'birch'].every((r) => town.rigs.find((x) => x.name === r)?.polecats.some((p) => p.state === 'working')),
    );
    const killedAt = seen.length;
    a.run.crash();
    await a.run.exited;

    // The others own them soon after, each rebuilt in its own data directory.
    const after = await until(
      () => cluster.cluster(b),
      // A is dead once its heartbeat is a TTL old (a stall under load may have cost it a lease before).
      (v) =>
        v.nodes.find((n) => n.name === 'node-a')?.alive === false &&
        ['ash', 'birch'].every((r) => ownerOf(v, r) === 'node-b' || ownerOf(v, r) === 'node-c'),
    );
    expect(owned(after, 'node-a')).toEqual([]);
    for (const rig of ['ash', 'birch']) {
      const owner = ownerOf(after, rig)!;
      expect(owned(after, owner).find((l) => l.startsWith(`${rig}@`))).not.toBe(`${rig}@1`);
      const onOwner = await until(
        () => cluster.cluster(owner === 'node-b' ? b : c),
        (v) => v.attached.includes(rig),
      );
      expect(onOwner.unowned).toEqual([]);
      // The rig is in memory before its clone is complete (rig-rebuild.ts), and the clone
      // appears in place only once it is (renamed from its staging directory).
      const head = path.join(root, owner, 'rigs', rig, 'HEAD');
      await until(
        async () => existsSync(head),
        (there) => there,
      );
      expect(existsSync(head)).toBe(true);
      // Its polecats were at work when A died: that work was on A's disk only, and went back to the queue.
      const run = owner === 'node-b' ? b.run : c.run;
      await until(
        async () => run.output(),
        (out) => out.includes(`rig ${rig}: work only the previous node had goes back to the queue`),
      );
    }

    // Node B's page gets those rigs' events from their new owners.
    await until(
      async () => seen,
      (s) => s.some((e) => e.n >= killedAt && e.node !== 'node-a' && (e.rig === 'ash' || e.rig === 'birch')),
    );
    await expect
      .poll(() => page.getByTestId('event-row').filter({ hasText: 'birch' }).count(), { timeout: 120_000 })
      .toBeGreaterThan(0);

    // Work goes on until every bead is done.
    const all = [...beads.values()].flat();
    await until(
      () => query<{ id: string; status: string }>(db!, 'SELECT id, status FROM "Bead" WHERE id = ANY($1)', [all]),
      (rows) => rows.length === all.length && rows.every((r) => r.status === 'done'),
      1_000,
    );

    // Each request on its upstream's target exactly once, and nothing but them; fsck clean.
    for (const [rig, ids] of beads) {
      const repo = upstreams.get(rig)!;
      const landed = (await firstParentHistory(repo)).filter((m) => m.bead !== null).map((m) => m.bead!);
      expect(landed.sort(), rig).toEqual([...ids].sort());
      const fsck = await git(repo, ['fsck', '--no-progress']);
      expect(fsck.code, `${rig}: ${fsck.stderr}`).toBe(0);
    }
  });

  it('refuses the writes and landings of a node paused past its lease, on PostgreSQL', async () => {
    const cluster = await setUp();
    // a's agents take 12 s of engine time, 3 s real: they finish while a is paused, so a
    // wakes up with work of the lost rig to record (refused) as well as its lease to renew.
    const a = await cluster.start('node-a');
    // b's lease lasts a minute, so its claim stays live after b is killed below.
    const b = await cluster.start('node-b', { GT_LEASE_TTL_MS: '60000' });
    const origin = await cluster.upstream('fenced');
    await cluster.command(a, 'rig.add', { name: 'fenced', url: origin, polecats: 2, node: a.name });
    for (let i = 0; i < 4; i++) {
      await cluster.command(a, 'bead.create', {
        rig: 'fenced',
        title: `work ${i}`,
        description: '',
        priority: 1,
        paths: ['ui/'],
      });
    }
    await until(
      () => cluster.api<TownOverview>(a, 'GET', '/api/town'),
      (t) => (t.rigs.find((r) => r.name === 'fenced')?.polecats ?? []).filter((p) => p.state === 'working').length === 2,
    );

    process.kill(-a.run.pid, 'SIGSTOP');
    const claimed = await until(
      () => cluster.cluster(b),
      // On a loaded machine a can lose the lease to a stall just before the pause, and b
      // claim it while a's last heartbeat is still fresh: wait for the pause to show too.
      (v) =>
        owned(v, 'node-b').includes('fenced@2') &&
        v.attached.includes('fenced') &&
        v.nodes.find((n) => n.name === 'node-a')?.alive === false,
    );
    expect(claimed.nodes.find((n) => n.name === 'node-a')?.alive).toBe(false);
    b.run.crash(); // the database is quiet from here: only a could still write
    await b.run.exited;

    const records = async () => ({
      rig: await query(db!, 'SELECT * FROM "Rig" WHERE name = $1', ['fenced']),
      polecats: await query(db!, 'SELECT * FROM "Polecat" WHERE rig = $1 ORDER BY id', ['fenced']),
      beads: await query(db!, 'SELECT * FROM "Bead" WHERE rig = $1 ORDER BY id', ['fenced']),
      mergeRequests: await query(db!, 'SELECT * FROM "MergeRequest" WHERE rig = $1 ORDER BY id', ['fenced']),
      lease: await query(db!, 'SELECT rig, owner, epoch FROM "RigLease" WHERE rig = $1', ['fenced']),
    });
    const refs = async () => (await git(origin, ['for-each-ref', '--format=%(refname) %(objectname)'])).stdout;
    const storedBefore = await records();
    const upstreamBefore = await refs();

    process.kill(-a.run.pid, 'SIGCONT');
    // a finds out (its renewal or a write refused), detaches the rig and stops writing it.
    const awake = await until(
      () => cluster.cluster(a),
      (v) => !v.attached.includes('fenced'),
    );
    expect(awake.losses).toBe(1);
    expect(owned(awake, 'node-b')).toEqual(['fenced@2']);
    expect(await records()).toEqual(storedBefore);
    expect(await refs()).toEqual(upstreamBefore);
  });
});
