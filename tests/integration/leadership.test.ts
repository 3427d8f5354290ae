/**
 * The leader lease on a real SQLite file shared by two "nodes" (two Prisma clients), the
 * database's clock and each node's monotonic clock stepped instead of slept on: one leader
 * at a time, a takeover once the lease lapses, and a paused ex-leader that stops leading on
 * its own clock before its next heartbeat learns it lost (docs/cluster.md).
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../server/engine/context';
import { LEADER_LEASE, Leadership } from '../../server/engine/leadership';
import type { PrismaClient } from '../../server/store/generated/client';
import { migrateDatabase } from '../../server/store/migrate';
import { PrismaLeases } from '../../server/store/prisma-leases';
import { openSqlitePrisma } from '../../server/store/sqlite';

const TTL = 6_000;

describe('the leader lease on a shared SQLite file', () => {
  let template: string;
  let dir: string;
  let dbNow = 1_000_000;
  const clients: PrismaClient[] = [];

  beforeAll(async () => {
    template = await mkdtemp(path.join(os.tmpdir(), 'gt-leader-template-'));
    await migrateDatabase(path.join(template, 'gastown.db'));
  });
  afterAll(() => rm(template, { recursive: true, force: true }));
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-leader-'));
    await copyFile(path.join(template, 'gastown.db'), path.join(dir, 'gastown.db'));
    dbNow = 1_000_000;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.$disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  async function node(name: string) {
    const prisma = await openSqlitePrisma(path.join(dir, 'gastown.db'));
    clients.push(prisma);
    const leases = new PrismaLeases(prisma, async () => dbNow);
    const changes: boolean[] = [];
    const clock = { now: 0 };
    const leadership = new Leadership({
      node: name,
      leases,
      ttlMs: TTL,
      monotonic: () => clock.now,
      onChange: (leader) => changes.push(leader),
      log: silentLogger,
    });
    return { leases, leadership, changes, clock };
  }

  it('has one leader at a time, and the other node takes over once its lease lapses', async () => {
    const a = await node('a');
    const b = await node('b');
    await a.leadership.pass();
    await b.leadership.pass();
    expect([a.leadership.isLeader(), b.leadership.isLeader()]).toEqual([true, false]);
    expect(await a.leases.leader()).toMatchObject({ rig: LEADER_LEASE, owner: 'a', epoch: 1 });
    expect(await a.leases.listLeases()).toEqual([]); // not a rig's lease

    // a keeps renewing: b cannot take it however often it asks.
    for (let i = 0; i < 3; i++) {
      dbNow += 2_000;
      a.clock.now += 2_000;
      await a.leadership.pass();
      await b.leadership.pass();
    }
    expect([a.leadership.isLeader(), b.leadership.isLeader()]).toEqual([true, false]);

    // a dies: its lease lapses on the database's clock, and b's next pass claims it.
    dbNow += TTL + 1;
    await b.leadership.pass();
    expect(b.leadership.isLeader()).toBe(true);
    expect(b.leadership.heldEpoch).toBe(2);
    expect(b.changes).toEqual([true]);
  });

  it('stops a paused leader’s duties on its own clock, before its next heartbeat learns it lost', async () => {
    const a = await node('a');
    const b = await node('b');
    await a.leadership.pass();
    // a is paused (SIGSTOP) past its TTL; b takes over meanwhile.
    dbNow += TTL + 1;
    a.clock.now += TTL + 1;
    await b.leadership.pass();
    expect(b.leadership.isLeader()).toBe(true);
    // a wakes up: its timers run before its heartbeat does, and they see it is not the leader.
    expect(a.leadership.isLeader()).toBe(false);
    await a.leadership.pass();
    expect(a.leadership.isLeader()).toBe(false);
    expect(a.changes).toEqual([true, false]);
    expect(await a.leases.leader()).toMatchObject({ owner: 'b', epoch: 2 });
  });

  it('renews a lapsed lease nobody took, and hands it over at once on release', async () => {
    const a = await node('a');
    const b = await node('b');
    await a.leadership.pass();
    dbNow += TTL + 1;
    a.clock.now += TTL + 1;
    expect(a.leadership.isLeader()).toBe(false); // blind until it renews
    await a.leadership.pass();
    expect(a.leadership.isLeader()).toBe(true);
    expect(a.leadership.heldEpoch).toBe(1); // nobody wrote in between: same epoch
    await a.leadership.release();
    expect(a.leadership.isLeader()).toBe(false);
    await b.leadership.pass();
    expect(b.leadership.isLeader()).toBe(true);
  });
});
