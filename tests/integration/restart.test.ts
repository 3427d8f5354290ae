import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliGit, fsck } from '../../server/git/cli-git';
import { runGit } from '../../server/git/run-git';
import { migrateDatabase } from '../../server/store/migrate';
import { PrismaStore } from '../../server/store/prisma-store';
import { openSqlitePrisma } from '../../server/store/sqlite';
import { crashPoint } from '../support/crash-point';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

async function mergeCommitSubjects(repo: string): Promise<string[]> {
  const { stdout } = await runGit(['log', '--merges', '--format=%s', 'main'], { cwd: repo });
  return stdout.split('\n').filter(Boolean);
}

async function openStore(file: string): Promise<PrismaStore> {
  return new PrismaStore(await openSqlitePrisma(file));
}

describe('restarting a town on SQLite', () => {
  let h: Harness | undefined;
  let dbDir: string | undefined;
  afterEach(async () => {
    await h?.cleanup();
    if (dbDir) await rm(dbDir, { recursive: true, force: true });
  });

  it('keeps rigs, beads and history and lands everything exactly once after a stop and restart', async () => {
    dbDir = await mkdtemp(path.join(os.tmpdir(), 'gt-db-'));
    const dbFile = path.join(dbDir, 'gastown.db');
    await migrateDatabase(dbFile);
    const store1 = await openStore(dbFile);
    h = await createHarness({ store: store1 });

    const town1 = await h.open();
    await town1.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 20_000 } });
    await town1.polecats.add('myproject', 4);
    town1.convoys.create(
      'sprint',
      Array.from({ length: 12 }, (_, i) => ({ rig: 'myproject', title: `bead ${i}`, paths: ['core/'] })),
    );
    town1.start();
    await runUntil(h.clock, town1, () => town1.rigs.get('myproject')!.counters.merged >= 4, 3_600_000);
    const mergedBefore = town1.rigs.get('myproject')!.counters.merged;
    expect(mergedBefore).toBeGreaterThanOrEqual(4);
    expect(mergedBefore).toBeLessThan(12);
    await town1.stop();
    await store1.close();

    const store2 = await openStore(dbFile);
    const town2 = await h.open({ store: store2 });
    expect(town2.rigs.list().map((r) => r.name)).toEqual(['myproject']);
    expect(town2.rigs.get('myproject')!.counters.merged).toBe(mergedBefore);
    expect(town2.beads.list()).toHaveLength(12 - mergedBefore);
    town2.start();
    await runUntil(h.clock, town2, () => town2.beads.list().length === 0, 3_600_000);
    await town2.stop();

    const subjects = await mergeCommitSubjects(h.repoPath);
    expect(subjects).toHaveLength(12);
    expect(new Set(subjects).size).toBe(12);
    expect(await store2.listBeads({ status: ['done'] })).toHaveLength(12);
    expect((await store2.listEvents({ types: ['mr.merged'], limit: 100 })).length).toBe(12);
    expect((await fsck(h.repoPath)).ok).toBe(true);
    await store2.close();
  });

  it('marks a merge landed, not requeued, when the process died between the ref update and the database write', async () => {
    dbDir = await mkdtemp(path.join(os.tmpdir(), 'gt-db-'));
    const dbFile = path.join(dbDir, 'gastown.db');
    await migrateDatabase(dbFile);
    const store1 = await openStore(dbFile);
    // The process "dies" right after the ref moved: the swap's caller, and the database, never hear of it.
    const real = new CliGit();
    const crash = crashPoint({
      store: store1,
      git: real,
      gitDiesAfter: (method, _args, moved) => method === 'compareAndSwapRef' && moved === true,
    });
    h = await createHarness({ store: crash.store, git: crash.git });
    const town1 = await h.open();
    await town1.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 10_000 } });
    await town1.polecats.add('myproject', 1);
    town1.beads.create({ rig: 'myproject', title: 'the one', paths: ['ui/'] });
    town1.start();
    // Step until the merge has been claimed and the ref moved (everything after that is held).
    for (let i = 0; i < 60 && !crash.dead(); i++) await h.clock.advance(1_000, () => crash.settle(town1));
    expect(crash.dead(), 'the ref moved').toBe(true);
    await crash.quiet(); // the first process is abandoned from here on
    expect(await mergeCommitSubjects(h.repoPath)).toHaveLength(1);
    // The "crashed" process is abandoned; a new one opens the same database.
    const store2 = await openStore(dbFile);
    const town2 = await h.open({ store: store2, git: real });
    expect(town2.rigs.get('myproject')!.counters.merged).toBe(1);
    expect(town2.beads.list()).toHaveLength(0);
    expect(await mergeCommitSubjects(h.repoPath)).toHaveLength(1);
    await town2.stop();
    await store2.close();
    await store1.close().catch(() => {});
  });

  it('frees the polecat of a landed bead when the process died after the bead was recorded done', async () => {
    dbDir = await mkdtemp(path.join(os.tmpdir(), 'gt-db-'));
    const dbFile = path.join(dbDir, 'gastown.db');
    await migrateDatabase(dbFile);
    const store1 = await openStore(dbFile);
    // Dies right after the bead's 'done' row is written: its polecat's row still says 'submitted'.
    const real = new CliGit();
    const crash = crashPoint({
      store: store1,
      git: real,
      storeDiesAfter: (method, args) => method === 'saveBead' && (args[0] as { status?: string }).status === 'done',
    });
    h = await createHarness({ store: crash.store, git: crash.git });
    const town1 = await h.open();
    await town1.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 10_000 } });
    await town1.polecats.add('myproject', 1);
    town1.beads.create({ rig: 'myproject', title: 'the one', paths: ['ui/'] });
    town1.start();
    for (let i = 0; i < 60 && !crash.dead(); i++) await h.clock.advance(1_000, () => crash.settle(town1));
    expect(crash.dead(), 'the bead was recorded done').toBe(true);
    await crash.quiet();
    expect((await store1.loadTown()).polecats.map((p) => p.state)).toEqual(['submitted']);

    const store2 = await openStore(dbFile);
    const town2 = await h.open({ store: store2, git: real });
    const [polecat] = town2.polecats.list('myproject');
    expect(polecat).toMatchObject({ state: 'idle', beadId: null });
    // Free again: it takes the next bead.
    town2.beads.create({ rig: 'myproject', title: 'the next', paths: ['core/'] });
    town2.start();
    await runUntil(h.clock, town2, () => town2.beads.list().length === 0, 3_600_000);
    expect(await mergeCommitSubjects(h.repoPath)).toHaveLength(2);
    await town2.stop();
    await store2.close();
    await store1.close().catch(() => {});
  });
});
