/**
 * Fencing, step by step: two towns as two cluster nodes on one SQLite file and one rig's
 * real git repository, each with its own Ownership, its own virtual clock (its engine time)
 * and a shared database clock. Node A is "paused" the way SIGSTOP pauses it: its clock and
 * its heartbeat stop. Its lease lapses, node B claims the rig (epoch 2) and attaches it;
 * then A's time moves again and its agents finish their work believing the rig is still
 * theirs. Every write A makes of the rig is refused by the epoch, nothing of it reaches the
 * database or the target branch, and A detaches the rig it lost.
 * (tests/integration/cluster.test.ts does the same with real server processes and signals.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedAgentRuntime } from '../../server/agents/scripted-agent';
import { CheckRunner } from '../../server/checks/check-runner';
import { createEngine } from '../../server/engine/assembly';
import { VirtualClock } from '../../server/engine/clock';
import { LeaseHoldings } from '../../server/engine/lease-holdings';
import { Ownership } from '../../server/engine/ownership';
import { seededRandom } from '../../server/engine/random';
import type { Town } from '../../server/engine/town';
import { CliGit, initRepository } from '../../server/git/cli-git';
import { demoRepositoryFiles } from '../../server/git/demo-repo';
import { runGit } from '../../server/git/run-git';
import type { PrismaClient } from '../../server/store/generated/client';
import { migrateDatabase } from '../../server/store/migrate';
import { PrismaLeases } from '../../server/store/prisma-leases';
import { PrismaStore } from '../../server/store/prisma-store';
import { openSqlitePrisma } from '../../server/store/sqlite';
import { runUntil } from '../support/engine-harness';

const TTL = 10_000;

interface TestNode {
  town: Town;
  clock: VirtualClock;
  ownership: Ownership;
  holdings: LeaseHoldings;
}

describe('a node paused past its lease', () => {
  let dir: string;
  let prisma: PrismaClient | undefined;
  const towns: Town[] = [];
  afterEach(async () => {
    for (const town of towns.splice(0)) await town.stop().catch(() => undefined);
    await prisma?.$disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it("cannot write its lost rig's records or land on its target once another node claimed the rig, and detaches it", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-fencing-'));
    const dbFile = path.join(dir, 'gastown.db');
    await migrateDatabase(dbFile);
    // One client for both nodes: two better-sqlite3 connections in one process would block
    // each other's event loop on the file lock (two processes do not: cluster.test.ts).
    prisma = await openSqlitePrisma(dbFile);
    let dbNow = 1_000_000;
    const dbClock = async () => dbNow;
    const leases = new PrismaLeases(prisma, dbClock);
    const repoPath = path.join(dir, 'repo');
    await initRepository(repoPath, demoRepositoryFiles());
    const git = new CliGit();

    async function node(name: string): Promise<TestNode> {
      const clock = new VirtualClock();
      const holdings = new LeaseHoldings(name, TTL, dbClock);
      const town = await createEngine({
        clock,
        git,
        store: new PrismaStore(prisma!, { fence: holdings }),
        agents: new ScriptedAgentRuntime({ clock, git }),
        checks: new CheckRunner({ scratchRoot: path.join(dir, name, 'scratch') }),
        workDir: path.join(dir, name),
        random: seededRandom(42),
        attachStored: false,
      });
      towns.push(town);
      const ownership = new Ownership({
        node: { name, startedAt: dbNow, url: () => null },
        leases,
        holdings,
        rigs: town.rigs,
        storedRigs: () => leases.rigNames(),
        log: { info: () => {}, warn: () => {}, error: () => {} },
      });
      town.onFenced((error) => ownership.fenced(error.rig));
      return { town, clock, ownership, holdings };
    }

    // Node A adds the rig (owning it from its first row, epoch 1) and works on it.
    const a = await node('node-a');
    await a.town.rigs.add({ name: 'fenced', repoPath, settings: { agentWorkMs: 20_000 } });
    await a.town.polecats.add('fenced', 2);
    a.town.convoys.create(
      'work',
      Array.from({ length: 6 }, (_, i) => ({ rig: 'fenced', title: `work ${i}`, paths: ['ui/'] })),
    );
    a.town.start();
    await a.town.settle();
    expect(a.holdings.epochOf('fenced')).toBe(1);
    const merged = () => a.town.rigs.get('fenced')?.counters.merged ?? 0;
    const working = () => a.town.polecats.list('fenced').filter((p) => p.state === 'working').length;
    await runUntil(a.clock, a.town, () => merged() >= 1 && working() === 2, 30 * 60_000);
    await a.ownership.pass();
    expect(working()).toBe(2);

    // A is paused: neither its clock nor its heartbeat moves. Its lease lapses; B claims and attaches the rig.
    dbNow += TTL + 1;
    const b = await node('node-b');
    await b.ownership.pass();
    expect(b.holdings.epochOf('fenced')).toBe(2);
    expect(b.town.rigs.get('fenced')).toBeDefined();
    await b.town.settle();

    const stored = () => rigRecords(dbFile, 'fenced');
    const target = async () => (await runGit(['rev-parse', 'refs/heads/main'], { cwd: repoPath })).stdout.trim();
    const storedBefore = stored();
    const targetBefore = await target();
    expect(storedBefore.lease).toEqual([{ rig: 'fenced', owner: 'node-b', epoch: 2 }]);

    // A wakes up: its agents finish and it goes on as if the rig were still its own.
    await runUntil(a.clock, a.town, () => !a.town.rigs.get('fenced'), 30 * 60_000);
    expect(a.town.rigs.get('fenced')).toBeUndefined(); // detached: it lost the rig
    expect(a.town.fencedWrites).toBeGreaterThan(0);
    expect(a.ownership.losses).toBe(1);
    expect(a.town.stopped).toBeNull(); // a fenced write is not a failing store
    expect(stored()).toEqual(storedBefore);
    expect(await target()).toBe(targetBefore);

    // A's next heartbeat does not take the rig back: B's lease is live.
    await a.ownership.pass();
    expect(a.holdings.epochOf('fenced')).toBeUndefined();
    expect(stored().lease).toEqual([{ rig: 'fenced', owner: 'node-b', epoch: 2 }]);
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
