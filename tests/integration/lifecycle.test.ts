/**
 * Rig and polecat lifecycle through the command bus, on real git and virtual time:
 * rig.remove (refused with work in flight, --drain, history kept, repository kept),
 * polecat.remove (idle at once, busy after its bead, --force), bead.sling.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommandBus, type Actor } from '@/server/commands';
import type { CommandBus } from '@/server/commands/command';
import type { EngineError } from '@/server/engine/errors';
import type { Town } from '@/server/engine/town';
import { CliUpstream } from '@/server/git/upstream';
import { RigCloner } from '@/server/rigs/rig-cloner';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const operator: Actor = { name: 'ada', role: 'operator' };
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: EngineError) => e,
  );

describe('rig and polecat lifecycle', () => {
  let h: Harness;
  let town: Town;
  let bus: CommandBus;
  beforeEach(async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'app', repoPath: h.repoPath, settings: { agentWorkMs: 20_000 } });
    await town.polecats.add('app', 2);
    bus = createCommandBus({
      engine: town,
      rigCloner: new RigCloner({ town, upstream: new CliUpstream(), rigsRoot: path.join(h.dir, 'rigs') }),
    });
  });
  afterEach(async () => {
    await town.stop();
    await h.cleanup();
  });
  const run = (name: string, input: unknown) => bus.execute(name, input, operator);
  const busy = () => town.polecats.list('app').some((p) => p.state === 'working');

  it('refuses to remove a rig with work in flight, then with --drain removes it and keeps its history and repository', async () => {
    const beads = [1, 2, 3].map((i) => town.beads.create({ rig: 'app', title: `work ${i}`, paths: ['core/'] }));
    town.start();
    await runUntil(h.clock, town, busy, 60_000);
    const worktrees = town.polecats.list('app').map((p) => p.worktreePath);

    const error = await refusal(run('rig.remove', { rig: 'app' }));
    expect(error?.code).toBe('conflict');
    expect(error?.message).toMatch(/work in flight .*--drain/);
    expect(town.rigs.get('app')?.status).toBe('active');
    expect(await refusal(run('rig.remove', { rig: 'app', drain: true, purge: true }))).toMatchObject({ code: 'invalid' });
    expect(town.rigs.get('app')?.status).toBe('active'); // the refused purge changed nothing

    const removed = (await run('rig.remove', { rig: 'app', drain: true })) as { polecats: number; purged: boolean };
    expect(removed).toMatchObject({ polecats: 2, purged: false });
    expect(town.rigs.list()).toEqual([]);
    expect(worktrees.every((w) => !existsSync(w))).toBe(true);
    expect(existsSync(h.repoPath)).toBe(true);
    await town.written();
    const stored = await h.store.loadTown();
    expect(stored.rigs.find((r) => r.name === 'app')?.status).toBe('retired');
    expect(stored.polecats.filter((p) => p.rig === 'app')).toEqual([]);
    // History stays queryable, and the name stays taken.
    expect((await h.store.listBeads({ rig: 'app' })).map((b) => b.id).sort()).toEqual(beads.map((b) => b.id).sort());
    expect(await refusal(run('rig.add', { name: 'app', url: h.repoPath }))).toMatchObject({ code: 'conflict' });
    // Nothing is dispatched to it after a wait.
    await runUntil(h.clock, town, () => false, 60_000);
    expect(town.polecats.list('app')).toEqual([]);
  });

  it('removes an idle polecat at once, and a busy one only after its bead landed', async () => {
    expect(await run('polecat.remove', { rig: 'app', name: 'nux' })).toEqual({ polecat: 'app/nux', removed: true, bead: null });
    expect(town.polecats.get('app/nux')).toBeUndefined();
    expect(existsSync(path.join(h.dir, 'worktrees', 'app', 'nux'))).toBe(false);

    const bead = town.beads.create({ rig: 'app', title: 'one bead', paths: ['ui/'] });
    town.beads.create({ rig: 'app', title: 'a second bead, for whoever is left', paths: ['core/'] });
    town.start();
    await runUntil(h.clock, town, busy, 60_000);
    expect(await run('polecat.remove', { rig: 'app', name: 'furiosa' })).toEqual({
      polecat: 'app/furiosa',
      removed: false,
      bead: bead.id,
    });
    await runUntil(h.clock, town, () => !town.polecats.get('app/furiosa'), 3_600_000);
    expect(town.polecats.get('app/furiosa')).toBeUndefined();
    expect(town.rigs.get('app')!.counters.merged).toBe(1); // its bead landed; it took no second one
    expect((await h.store.getBead(bead.id))?.status).toBe('done');
  });

  it('with --force removes a busy polecat at once and returns its bead to the queue', async () => {
    const bead = town.beads.create({ rig: 'app', title: 'taken back', paths: ['ui/'] });
    town.start();
    await runUntil(h.clock, town, busy, 60_000);
    const holder = town.polecats.list('app').find((p) => p.beadId === bead.id)!;
    const result = await run('polecat.remove', { rig: 'app', name: holder.name, force: true });
    expect(result).toEqual({ polecat: holder.id, removed: true, bead: bead.id });
    expect(town.polecats.get(holder.id)).toBeUndefined();
    // The other polecat picks it up.
    await runUntil(h.clock, town, () => town.beads.get(bead.id)?.assignee !== null, 60_000);
    expect(town.beads.get(bead.id)?.assignee).not.toBe(holder.id);
    expect(await refusal(run('polecat.remove', { rig: 'app', name: 'nobody' }))).toMatchObject({ code: 'not_found' });
  });

  it('slings a ready bead to the polecat named, ahead of the queue, and refuses one that waits', async () => {
    town.start();
    await runUntil(h.clock, town, () => false, 1_000);
    const urgent = town.beads.create({ rig: 'app', title: 'urgent', priority: 0, paths: ['core/'] });
    const later = town.beads.create({ rig: 'app', title: 'later', priority: 4, paths: ['ui/'] });
    const waits = town.beads.create({ rig: 'app', title: 'waits', dependsOn: [urgent.id], paths: ['ui/'] });
    // Before the Mayor's pass: the low-priority bead goes first, to nux.
    expect(await run('bead.sling', { bead: later.id, rig: 'app', polecat: 'nux' })).toEqual({
      bead: later.id,
      rig: 'app',
      polecat: 'app/nux',
    });
    expect(town.beads.get(later.id)).toMatchObject({ status: 'hooked', assignee: 'app/nux' });
    expect(await refusal(run('bead.sling', { bead: waits.id, rig: 'app' }))).toMatchObject({ code: 'conflict' });
    await runUntil(h.clock, town, () => town.beads.get(urgent.id)?.assignee === 'app/furiosa', 10_000);
    expect(town.beads.get(urgent.id)?.assignee).toBe('app/furiosa');
    expect(await refusal(run('bead.sling', { bead: waits.id, rig: 'app' }))).toMatchObject({ code: 'conflict' });
  });
});
