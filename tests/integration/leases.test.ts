/**
 * Rig leases and fencing on a real SQLite file shared by two "nodes" (two Prisma clients,
 * as two servers would open it): the lease adapter's compare-and-swaps, and the store
 * refusing a stale owner's rig writes while the new owner's land. The database's clock is
 * a parameter of the adapter, stepped here instead of slept on. (Two nodes racing for one
 * lease at the same moment need two processes: better-sqlite3 blocks its whole process
 * while it waits for a lock; tests/integration/cluster.test.ts runs two servers.)
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Bead, MergeRequest, Polecat, Rig } from '../../contracts/records';
import { FencedError } from '../../server/engine/errors';
import { LeaseHoldings } from '../../server/engine/lease-holdings';
import { DEFAULT_RIG_SETTINGS, ZERO_COUNTERS } from '../../server/engine/rig-settings';
import type { PrismaClient } from '../../server/store/generated/client';
import { migrateDatabase } from '../../server/store/migrate';
import { PrismaLeases } from '../../server/store/prisma-leases';
import { PrismaStore } from '../../server/store/prisma-store';
import { openSqlitePrisma } from '../../server/store/sqlite';

const TTL = 10_000;

const rig = (name: string, over: Partial<Rig> = {}): Rig => ({
  name,
  repoPath: `/srv/${name}`,
  targetBranch: 'main',
  status: 'active',
  settings: { ...DEFAULT_RIG_SETTINGS },
  createdAt: 1,
  counters: { ...ZERO_COUNTERS },
  lineage: null,
  ...over,
});

const polecat = (rigName: string, name: string): Polecat => ({
  id: `${rigName}/${name}`,
  rig: rigName,
  name,
  state: 'idle',
  beadId: null,
  branch: `polecat/${name}`,
  worktreePath: `/tmp/${name}`,
  lastHeartbeatAt: null,
  lastProgressAt: null,
  stateSince: 1,
  tokensUsed: 0,
  health: 'ok',
  strikes: 0,
});

const mergeRequest = (rigName: string, id: string): MergeRequest => ({
  id,
  rig: rigName,
  beadId: 'gt-1',
  polecatId: `${rigName}/nux`,
  branch: 'polecat/nux',
  headSha: 'a'.repeat(40),
  status: 'queued',
  priority: 2,
  attempts: 1,
  mergeCommit: null,
  conflictFiles: [],
  failedCheck: null,
  checkOutput: null,
  checkRuns: [],
  enqueuedAt: 1,
  updatedAt: 1,
  landedAt: null,
});

const bead = (rigName: string, id: string): Bead => ({
  id,
  title: 'a bead',
  description: '',
  status: 'open',
  priority: 2,
  labels: [],
  dependsOn: [],
  issueType: 'task',
  parent: null,
  related: [],
  paths: [],
  rig: rigName,
  assignee: null,
  convoyId: null,
  createdAt: 1,
  updatedAt: 1,
  closedAt: null,
});

interface TestNode {
  name: string;
  prisma: PrismaClient;
  leases: PrismaLeases;
  holdings: LeaseHoldings;
  store: PrismaStore;
}

describe('rig leases and fencing on a shared SQLite file', () => {
  let dir: string;
  let dbNow = 1_000_000;
  const dbClock = async () => dbNow;
  const nodes: TestNode[] = [];

  async function node(name: string): Promise<TestNode> {
    const prisma = await openSqlitePrisma(path.join(dir, 'gastown.db'));
    const holdings = new LeaseHoldings(name, TTL, dbClock);
    const n = {
      name,
      prisma,
      leases: new PrismaLeases(prisma, dbClock),
      holdings,
      store: new PrismaStore(prisma, { fence: holdings }),
    };
    nodes.push(n);
    return n;
  }

  let template: string;
  beforeAll(async () => {
    template = await mkdtemp(path.join(os.tmpdir(), 'gt-leases-template-'));
    await migrateDatabase(path.join(template, 'gastown.db'));
  });
  afterAll(() => rm(template, { recursive: true, force: true }));
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-leases-'));
    await copyFile(path.join(template, 'gastown.db'), path.join(dir, 'gastown.db'));
    dbNow = 1_000_000;
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.prisma.$disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('claims, renews, refuses a live lease to another node, and lets it steal an expired one with a bumped epoch', async () => {
    const a = await node('a');
    const b = await node('b');
    expect(await a.leases.claim('r', 'a', TTL)).toEqual({ rig: 'r', owner: 'a', epoch: 1, expiresAt: dbNow + TTL });
    expect(await b.leases.claim('r', 'b', TTL)).toBeNull();
    dbNow += 6_000;
    expect(await a.leases.renew('r', 'a', 1, TTL)).toMatchObject({ owner: 'a', epoch: 1, expiresAt: dbNow + TTL });
    dbNow += 6_000; // renewed: still live
    expect(await b.leases.claim('r', 'b', TTL)).toBeNull();
    dbNow += TTL; // a missed its heartbeats
    expect(await b.leases.claim('r', 'b', TTL)).toEqual({ rig: 'r', owner: 'b', epoch: 2, expiresAt: dbNow + TTL });
    expect(await a.leases.renew('r', 'a', 1, TTL)).toBeNull();
    expect(await a.leases.release('r', 'a', 1)).toBe(false);
    expect(await a.leases.listLeases()).toEqual([{ rig: 'r', owner: 'b', epoch: 2, expiresAt: dbNow + TTL }]);
  });

  it('registers nodes with heartbeats on the database clock', async () => {
    const a = await node('a');
    await a.leases.heartbeat({ name: 'a', url: 'http://127.0.0.1:1', startedAt: 5, ttlMs: TTL });
    dbNow += 2_000;
    await a.leases.heartbeat({ name: 'a', url: 'http://127.0.0.1:2', startedAt: 5, ttlMs: TTL, rigMetrics: '{"at":1}' });
    expect(await a.leases.listNodes()).toEqual([
      { name: 'a', url: 'http://127.0.0.1:2', startedAt: 5, heartbeatAt: dbNow, ttlMs: TTL, rigMetrics: '{"at":1}' },
    ]);
    // A heartbeat without a sample keeps the last one (a node between two samples).
    await a.leases.heartbeat({ name: 'a', url: 'http://127.0.0.1:2', startedAt: 5, ttlMs: TTL });
    expect((await a.leases.listNodes())[0].rigMetrics).toBe('{"at":1}');
  });

  it("refuses every rig write of an owner whose lease was stolen, and changes nothing, while the new owner's writes land", async () => {
    const a = await node('a');
    const b = await node('b');
    // A rig created on a: its first write claims it (epoch 1).
    await a.store.saveRig(rig('r'));
    expect(a.holdings.epochOf('r')).toBe(1);
    expect(await a.leases.listLeases()).toMatchObject([{ rig: 'r', owner: 'a', epoch: 1 }]);
    await a.store.savePolecat(polecat('r', 'nux'));

    // b holds no lease of r: it cannot write r's records.
    await expect(b.store.saveRig(rig('r', { repoPath: '/elsewhere' }))).rejects.toBeInstanceOf(FencedError);

    // a is paused past its TTL; b claims r (epoch 2).
    dbNow += TTL + 1;
    const stolen = await b.leases.claim('r', 'b', TTL);
    expect(stolen?.epoch).toBe(2);
    b.holdings.hold(stolen!);

    // a wakes up still believing it holds epoch 1: every kind of rig write is refused.
    const refused = [
      a.store.saveRig(rig('r', { repoPath: '/stale' })),
      a.store.savePolecat({ ...polecat('r', 'nux'), state: 'working' }),
      a.store.deletePolecat('r/nux'),
      a.store.saveMergeRequest(mergeRequest('r', 'mr-stale')),
      a.store.saveBead(bead('r', 'gt-stale')),
      a.store.saveAll({ rigs: [rig('r', { repoPath: '/stale' })], polecats: [polecat('r', 'slit')] }),
    ];
    for (const write of refused) await expect(write).rejects.toThrow(/fenced/);

    const state = await b.store.loadTown();
    expect(state.rigs.map((r) => r.repoPath)).toEqual(['/srv/r']);
    expect(state.polecats.map((p) => [p.id, p.state])).toEqual([['r/nux', 'idle']]);
    expect(state.mergeRequests).toEqual([]);
    expect(state.beads).toEqual([]);

    // The new owner writes.
    await b.store.saveRig(rig('r', { repoPath: '/srv/r2' }));
    await b.store.savePolecat({ ...polecat('r', 'nux'), state: 'working' });
    const after = await a.store.loadTown();
    expect(after.rigs.map((r) => r.repoPath)).toEqual(['/srv/r2']);
    expect(after.polecats.map((p) => p.state)).toEqual(['working']);
  });

  it('writes as before, with no lease rows, without a fence (one server)', async () => {
    const prisma = await openSqlitePrisma(path.join(dir, 'gastown.db'));
    nodes.push({ name: 'solo', prisma } as TestNode);
    const store = new PrismaStore(prisma);
    await store.saveRig(rig('solo'));
    await store.saveAll({ polecats: [polecat('solo', 'nux')] });
    expect(await prisma.rigLease.count()).toBe(0);
    expect((await store.loadTown()).polecats).toHaveLength(1);
  });
});
