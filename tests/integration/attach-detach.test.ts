/**
 * The rig runtime as a unit: a busy rig detached mid-flight (merges landing, polecats
 * working, its queue not empty) and attached again, while another rig keeps working.
 * Real git, SQLite through Prisma, virtual time.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Town } from '../../server/engine/town';
import { fsck, initRepository } from '../../server/git/cli-git';
import { ClockedChecks } from '../../server/checks/clocked-checks';
import { demoRepositoryFiles } from '../../server/git/demo-repo';
import { runGit } from '../../server/git/run-git';
import { migrateDatabase } from '../../server/store/migrate';
import { PrismaStore } from '../../server/store/prisma-store';
import { openSqlitePrisma } from '../../server/store/sqlite';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const MIN = 60_000;

async function mergeCommitSubjects(repo: string): Promise<string[]> {
  const { stdout } = await runGit(['log', '--merges', '--format=%s', 'main'], { cwd: repo });
  return stdout.split('\n').filter(Boolean);
}

async function tip(repo: string): Promise<string> {
  return (await runGit(['rev-parse', 'main'], { cwd: repo })).stdout.trim();
}

describe('attaching and detaching a rig while the town runs', () => {
  let h: Harness | undefined;
  let dbDir: string | undefined;
  let store: PrismaStore | undefined;
  afterEach(async () => {
    await store?.close();
    await h?.cleanup();
    if (dbDir) await rm(dbDir, { recursive: true, force: true });
  });

  async function openTown(): Promise<{ town: Town; busyRepo: string; steadyRepo: string }> {
    dbDir = await mkdtemp(path.join(os.tmpdir(), 'gt-db-'));
    const dbFile = path.join(dbDir, 'gastown.db');
    await migrateDatabase(dbFile);
    store = new PrismaStore(await openSqlitePrisma(dbFile));
    // Validation takes engine time, so requests wait in the queue while others validate.
    h = await createHarness({ store, checks: (clock) => new ClockedChecks(clock, { durationMs: () => 8_000 }) });
    const steadyRepo = path.join(h.dir, 'steady-repo');
    await initRepository(steadyRepo, demoRepositoryFiles());
    const town = await h.open();
    await town.rigs.add({ name: 'busy', repoPath: h.repoPath, settings: { agentWorkMs: 20_000, refineryWorkers: 2 } });
    await town.rigs.add({ name: 'steady', repoPath: steadyRepo, settings: { agentWorkMs: 20_000 } });
    await town.polecats.add('busy', 4);
    await town.polecats.add('steady', 2);
    return { town, busyRepo: h.repoPath, steadyRepo };
  }

  it('lands every bead exactly once when a busy rig is detached mid-flight and attached again, and the other rig never pauses', async () => {
    const { town, busyRepo, steadyRepo } = await openTown();
    const busyBeads = 12;
    const steadyBeads = 8;
    // Several beads on the same paths: merges conflict and come back for rework too.
    town.convoys.create(
      'busy work',
      Array.from({ length: busyBeads }, (_, i) => ({ rig: 'busy', title: `busy ${i}`, paths: [i % 3 === 0 ? 'core/' : 'ui/'] })),
    );
    town.convoys.create(
      'steady work',
      Array.from({ length: steadyBeads }, (_, i) => ({ rig: 'steady', title: `steady ${i}`, paths: ['ui/'] })),
    );
    town.start();

    // Mid-flight: some merges landed, the Refinery holds requests and more wait, polecats are at work.
    const busyMidFlight = () =>
      town.rigs.get('busy')!.counters.merged >= 2 &&
      town.rigs.refineryBusy('busy') &&
      town.rigs.queueState('busy').pending.length >= 1 &&
      town.polecats.list('busy').some((p) => p.state === 'working' || p.state === 'reworking');
    await runUntil(h!.clock, town, busyMidFlight, 2 * 3_600_000, 1_000, { overlap: true });
    expect(busyMidFlight()).toBe(true);
    const worktrees = town.polecats.list('busy').map((p) => p.worktreePath);

    const steadyEvents: string[] = [];
    const unsubscribe = town.bus.subscribe((e) => {
      if ('rig' in e && e.rig === 'steady' && (e.type === 'mr.merged' || e.type === 'polecat.committed'))
        steadyEvents.push(e.type);
    });
    const raised = town.escalations.raise({ severity: 'low', source: 'witness', reason: 'a stall on busy', rig: 'busy' });
    const detached = await town.rigs.detach('busy');
    expect(detached.rig).toBe('busy');
    expect(detached.beads).toBeGreaterThan(0);
    // Its convoy and its escalation went with it: the node attaching it next acts on them.
    expect(town.convoys.list().map((c) => c.title)).toEqual(['steady work']);
    expect(town.escalations.get(raised.id)).toBeUndefined();

    // Out of memory, kept in the store and on disk; nothing of it is merging.
    expect(town.rigs.get('busy')).toBeUndefined();
    expect(town.polecats.list('busy')).toEqual([]);
    expect(town.beads.list().filter((b) => b.rig === 'busy')).toEqual([]);
    expect((await store!.loadTown()).rigs.map((r) => r.name).sort()).toEqual(['busy', 'steady']);
    expect(await store!.listMergeRequests({ rig: 'busy', status: ['merging'] })).toEqual([]);
    for (const w of worktrees) expect(existsSync(w)).toBe(true);
    const busyTip = await tip(busyRepo);

    // While it is away, the other rig keeps landing, and nothing lands on the detached rig.
    const steadyMergedBefore = town.rigs.get('steady')!.counters.merged;
    await runUntil(h!.clock, town, () => false, 10 * MIN, 1_000, { overlap: true });
    expect(town.rigs.get('steady')!.counters.merged).toBeGreaterThan(steadyMergedBefore);
    expect(steadyEvents).toContain('mr.merged');
    expect(await tip(busyRepo)).toBe(busyTip);
    unsubscribe();

    const attached = await town.rigs.attach('busy');
    expect(attached).toMatchObject({ rig: 'busy', polecats: 4, beads: detached.beads });
    expect(town.convoys.list().map((c) => c.title)).toContain('busy work'); // loaded again from the store
    expect(town.escalations.get(raised.id)).toMatchObject({ status: 'open', rig: 'busy' });
    await runUntil(h!.clock, town, () => town.beads.list().length === 0, 4 * 3_600_000, 1_000, { overlap: true });
    expect(town.beads.list()).toEqual([]);
    await town.stop();

    // Every bead landed exactly once: one merge commit and one merged request per bead.
    const subjects = await mergeCommitSubjects(busyRepo);
    expect(subjects).toHaveLength(busyBeads);
    expect(new Set(subjects).size).toBe(busyBeads);
    const merged = await store!.listMergeRequests({ rig: 'busy', status: ['merged'] });
    expect(merged).toHaveLength(busyBeads);
    expect(new Set(merged.map((mr) => mr.beadId)).size).toBe(busyBeads);
    expect(await store!.listBeads({ status: ['done'] })).toHaveLength(busyBeads + steadyBeads);
    expect(await mergeCommitSubjects(steadyRepo)).toHaveLength(steadyBeads);
    expect(town.rigs.get('busy')!.counters.merged).toBe(busyBeads);
    expect((await fsck(busyRepo)).ok).toBe(true);
  }, 240_000);

  it('refuses to detach an unknown rig and to attach a rig that is attached, changing nothing', async () => {
    const { town } = await openTown();
    await expect(town.rigs.detach('nope')).rejects.toMatchObject({ code: 'not_found' });
    await expect(town.rigs.attach('busy')).rejects.toMatchObject({ code: 'conflict' });
    await expect(town.rigs.attach('nope')).rejects.toMatchObject({ code: 'not_found' });
    expect(town.rigs.list().map((r) => r.name)).toEqual(['busy', 'steady']);
    await town.rigs.detach('steady');
    await expect(town.rigs.add({ name: 'steady', repoPath: h!.repoPath })).rejects.toMatchObject({ code: 'conflict' });
    await town.rigs.attach('steady');
    expect(town.polecats.list('steady')).toHaveLength(2);
  });
});
