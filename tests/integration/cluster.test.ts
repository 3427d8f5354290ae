/**
 * Two real server processes as cluster nodes on loopback ports, sharing one SQLite file
 * (docs/cluster.md): each owns the rigs it added, by lease; one is killed with SIGKILL and
 * the other claims its rigs once their leases lapse, rebuilding them from the store; and a
 * node paused with SIGSTOP past its lease wakes up unable to write its lost rig's records
 * or land on its upstream (asserted on the database and the upstream, not on logs; the
 * refused writes themselves are pinned down step by step in fencing.test.ts).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { TownOverview } from '../../contracts/town';
import { ClusterNodes, owned, until, type ClusterNode as Node } from '../support/cluster-nodes';
import { git } from '../support/crash-server';

const TOKEN = 'cluster-test-operator-token';

describe('a town on two nodes sharing one database', { timeout: 600_000 }, () => {
  let root: string;
  let nodes: ClusterNodes | null = null;
  afterEach(async () => {
    await nodes?.killAll(); // a paused one is woken first, so it can die
    nodes = null;
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** Starts a node on `<root>/<name>` with the shared database file; resolves once it listens. */
  function startNode(name: string, env: Record<string, string> = {}): Promise<Node> {
    nodes ??= new ClusterNodes(root, TOKEN, {
      GT_DATABASE_FILE: path.join(root, 'shared.db'),
      GT_HEARTBEAT_MS: '500',
      // Generous for a loaded machine: a page compiling in `next dev` stalls a node's
      // event loop for seconds, and a stall past the TTL loses its leases (as it should).
      GT_LEASE_TTL_MS: '6000',
    });
    return nodes.start(name, env);
  }

  const api = <T>(node: Node, method: 'GET' | 'POST', route: string) => nodes!.api<T>(node, method, route);
  const command = (node: Node, name: string, input: unknown) => nodes!.command(node, name, input);
  const cluster = (node: Node) => nodes!.cluster(node);
  const upstream = (name: string) => nodes!.upstream(name);

  it("moves a rig between nodes, and lets the surviving node claim a killed node's rigs once their leases lapse", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gt-cluster-'));
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    for (const [node, rig] of [
      [a, 'alpha'],
      [a, 'beta'],
      [b, 'gamma'],
      [b, 'delta'],
    ] as const) {
      // --node: each node keeps the rigs it adds (placement by polecats: cluster-leader.test.ts).
      await command(node, 'rig.add', { name: rig, url: await upstream(rig), polecats: 1, node: node.name });
    }

    // Each node owns the rigs it added, at epoch 1, and both are alive.
    const before = await until(
      () => cluster(a),
      (v) => owned(v, 'node-a').length === 2 && owned(v, 'node-b').length === 2,
    );
    expect(before.mode).toBe('cluster');
    expect(owned(before, 'node-a')).toEqual(['alpha@1', 'beta@1']);
    expect(owned(before, 'node-b')).toEqual(['delta@1', 'gamma@1']);
    expect(before.nodes.map((n) => [n.name, n.alive])).toEqual([
      ['node-a', true],
      ['node-b', true],
    ]);
    expect(before.attached).toEqual(['alpha', 'beta']);
    expect((await cluster(b)).attached).toEqual(['delta', 'gamma']);

    // A name another node's rig has is refused before anything is cloned.
    await expect(command(b, 'rig.add', { name: 'alpha', url: await upstream('alpha-again') })).rejects.toThrow(
      /409.*already exists/,
    );
    expect(existsSync(path.join(root, 'node-b', 'rigs', 'alpha'))).toBe(false);

    // gt rig move: drained on a, handed to b (epoch 2), claimed and attached by b (epoch 3).
    await expect(command(b, 'rig.move', { rig: 'alpha', node: 'node-b' })).rejects.toThrow(/409.*run by node 'node-a'/);
    await expect(command(a, 'rig.move', { rig: 'alpha', node: 'node-z' })).rejects.toThrow(/404/);
    expect(await command(a, 'rig.move', { rig: 'beta', node: 'node-b' })).toEqual({
      rig: 'beta',
      from: 'node-a',
      to: 'node-b',
      epoch: 2,
    });
    const moved = await until(
      () => cluster(b),
      (v) => v.attached.includes('beta'),
    );
    expect(owned(moved, 'node-b')).toEqual(['beta@3', 'delta@1', 'gamma@1']);
    expect(owned(moved, 'node-a')).toEqual(['alpha@1']);
    expect((await cluster(a)).attached).toEqual(['alpha']);

    b.run.crash(); // kill -9: no release, its leases must lapse
    await b.run.exited;

    const after = await until(
      () => cluster(a),
      (v) => owned(v, 'node-a').length === 4,
    );
    expect(owned(after, 'node-a')).toEqual(['alpha@1', 'beta@4', 'delta@2', 'gamma@2']);
    expect(after.nodes.find((n) => n.name === 'node-b')).toMatchObject({ alive: false, rigs: [] });
    expect(after.attached).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    expect(after.unowned).toEqual([]);
    // Rebuilt from the store: node-b's rigs are here with their polecats.
    const town = await api<TownOverview>(a, 'GET', '/api/town');
    for (const rig of ['beta', 'gamma', 'delta']) {
      expect(town.rigs.find((r) => r.name === rig)?.polecats).toHaveLength(1);
    }
  });

  it("leaves a lost rig's records and upstream as the new owner left them when a node paused past its lease wakes up", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gt-cluster-'));
    // a's leases lapse 6 s after its last heartbeat; b's last a minute, so b's claim stays
    // live after b is killed below, and a, awake again, must not take the rig back.
    // a's agents take 12 s of engine time, 3 s real: they finish while a is paused, so a wakes
    // up with work of the lost rig to record (refused) as well as its heartbeat to renew.
    const a = await startNode('node-a', { GT_TIME_SCALE: '4' });
    const b = await startNode('node-b', { GT_LEASE_TTL_MS: '60000' });
    const origin = await upstream('fenced');
    await command(a, 'rig.add', { name: 'fenced', url: origin, polecats: 2, node: a.name });
    for (let i = 0; i < 4; i++) {
      await command(a, 'bead.create', { rig: 'fenced', title: `work ${i}`, description: '', priority: 1, paths: ['ui/'] });
    }
    // Polecats at work: a is between writes (an agent writes when it finishes).
    await until(
      () => api<TownOverview>(a, 'GET', '/api/town'),
      (t) => (t.rigs.find((r) => r.name === 'fenced')?.polecats ?? []).filter((p) => p.state === 'working').length === 2,
    );

    process.kill(-a.run.pid, 'SIGSTOP');
    const claimed = await until(
      () => cluster(b),
      (v) => owned(v, 'node-b').includes('fenced@2') && v.attached.includes('fenced'),
    );
    expect(claimed.nodes.find((n) => n.name === 'node-a')?.alive).toBe(false);
    b.run.crash(); // the database is quiet from here: only a could still write
    await b.run.exited;

    const snapshot = () => rigRecords(path.join(root, 'shared.db'), 'fenced');
    const refs = async () => (await git(origin, ['for-each-ref', '--format=%(refname) %(objectname)'])).stdout;
    const storedBefore = snapshot();
    const upstreamBefore = await refs();

    process.kill(-a.run.pid, 'SIGCONT');
    // a finds out (a renewal or a write refused), detaches the rig and stops writing it.
    const awake = await until(
      () => cluster(a),
      (v) => !v.attached.includes('fenced'),
    );
    expect(awake.losses).toBe(1);
    expect(owned(awake, 'node-b')).toEqual(['fenced@2']);
    expect(snapshot()).toEqual(storedBefore);
    expect(await refs()).toEqual(upstreamBefore);
  });
});

/** Every stored record of one rig (and its lease), read straight from the SQLite file. */
function rigRecords(file: string, rig: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return {
      rig: db.prepare('SELECT * FROM "Rig" WHERE name = ?').all(rig),
      polecats: db.prepare('SELECT * FROM "Polecat" WHERE rig = ? ORDER BY id').all(rig),
      beads: db.prepare('SELECT * FROM "Bead" WHERE rig = ? ORDER BY id').all(rig),
      mergeRequests: db.prepare('SELECT * FROM "MergeRequest" WHERE rig = ? ORDER BY id').all(rig),
      lease: db.prepare('SELECT rig, owner, epoch FROM "RigLease" WHERE rig = ?').all(rig),
    };
  } finally {
    db.close();
  }
}
