/**
 * Polecat ids, names, branches and worktrees follow the rig the polecat is in, across a
 * split, a merge back and a restart on SQLite (real git, virtual time): an operator reading
 * `myproject-core/nux` knows where nux works, and never sees two polecats with one name.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../contracts/events';
import type { Polecat } from '../../contracts/records';
import { ClockedChecks } from '../../server/checks/clocked-checks';
import type { Town } from '../../server/engine/town';
import { runGit } from '../../server/git/run-git';
import { migrateDatabase } from '../../server/store/migrate';
import { PrismaStore } from '../../server/store/prisma-store';
import { openSqlitePrisma } from '../../server/store/sqlite';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const AREAS = ['core', 'ui', 'tests'];
const PARTITIONS = AREAS.map((a) => ({ name: `app-${a}`, globs: [`${a}/**`] }));

let h: Harness | undefined;
let dbDir: string | undefined;
afterEach(async () => {
  await h?.cleanup();
  if (dbDir) await rm(dbDir, { recursive: true, force: true });
});

/** Every polecat's id, branch and worktree name the rig it is in; ids and names (per rig) unique. */
function expectFollowRig(polecats: Polecat[], dir: string): void {
  for (const p of polecats) {
    expect(p.id).toBe(`${p.rig}/${p.name}`);
    expect(p.branch).toBe(`polecat/${p.rig}/${p.name}`);
    expect(p.worktreePath).toBe(path.join(dir, 'worktrees', p.rig, p.name));
  }
  expect(new Set(polecats.map((p) => p.id)).size).toBe(polecats.length);
}

const idle = (town: Town) => town.polecats.list().every((p) => p.state === 'idle');

async function openSqliteTown() {
  dbDir = await mkdtemp(path.join(os.tmpdir(), 'gt-db-'));
  const file = path.join(dbDir, 'gastown.db');
  await migrateDatabase(file);
  const store = new PrismaStore(await openSqlitePrisma(file));
  h = await createHarness({ store, checks: (clock) => new ClockedChecks(clock, { durationMs: () => 20_000 }) });
  const town = await h.open();
  const events: DomainEvent[] = [];
  town.bus.subscribe((e) => events.push(e));
  await town.rigs.add({ name: 'app', repoPath: h.repoPath, settings: { agentWorkMs: 60_000 } });
  await town.polecats.add('app', 6);
  for (let i = 0; i < 12; i++) town.beads.create({ rig: 'app', title: `bead ${i}`, paths: [`${AREAS[i % 3]}/`] });
  return { town, events, file, store, harness: h };
}

describe('polecat identity across split, merge and restart', () => {
  it('gives moved polecats the id, branch and worktree of their partition, busy ones once their bead is done', async () => {
    const { town, events, harness } = await openSqliteTown();
    town.start();
    await runUntil(harness.clock, town, () => town.polecats.list().some((p) => p.state === 'working'), 10 * 60_000);
    await town.rigs.split('app', { partitions: PARTITIONS }, 'test');
    await town.settle();
    // Idle ones at once; busy ones keep theirs while their agent and merge request are in flight.
    for (const p of town.polecats.list().filter((x) => x.state === 'idle')) expect(p.id).toBe(`${p.rig}/${p.name}`);
    expect(town.polecats.list('app')).toEqual([]);

    await runUntil(harness.clock, town, () => town.beads.list().length === 0 && idle(town), 4 * 3_600_000, 5_000);
    expect(town.beads.list()).toEqual([]);
    const after = town.polecats.list();
    expect(after.length).toBeGreaterThanOrEqual(6);
    expectFollowRig(after, harness.dir);
    expect(after.some((p) => p.id.startsWith('app/'))).toBe(false);
    const renamed = events.filter((e) => e.type === 'polecat.renamed');
    expect(renamed.length).toBeGreaterThan(0);
    for (const e of renamed) expect(town.polecats.get(e.was)).toBeUndefined();
    // The new worktrees are where the records say, on the branches they name.
    for (const p of after.filter((x) => existsSync(x.worktreePath))) {
      const { stdout } = await runGit(['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: p.worktreePath });
      expect(stdout.trim()).toBe(p.branch);
    }
    await town.stop();
  }, 300_000);

  it('merges back with unique names and ids of the merged rig, and a restart keeps them', async () => {
    const { town, file, store, harness } = await openSqliteTown();
    await town.rigs.split('app', { partitions: PARTITIONS, polecats: { 'app-core': 3, 'app-ui': 3, 'app-tests': 2 } }, 'test');
    await town.settle();
    expectFollowRig(town.polecats.list(), harness.dir);
    await town.rigs.merge('app-core', 'test');
    await town.settle();
    const merged = town.polecats.list();
    expect(merged.every((p) => p.rig === 'app')).toBe(true);
    expectFollowRig(merged, harness.dir);
    expect(new Set(merged.map((p) => p.name)).size).toBe(merged.length);
    await town.stop();
    await store.close();

    const reopened = new PrismaStore(await openSqlitePrisma(file));
    const town2 = await harness.open({ store: reopened });
    const restarted = town2.polecats.list();
    expect(restarted.map((p) => p.id).sort()).toEqual(merged.map((p) => p.id).sort());
    expectFollowRig(restarted, harness.dir);
    await town2.stop();
    await reopened.close();
  }, 300_000);
});
