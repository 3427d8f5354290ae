import { afterEach, describe, expect, it } from 'vitest';
import { runGit } from '../../server/git/run-git';
import { fsck } from '../../server/git/cli-git';
import type { DomainEvent } from '../../contracts/events';
import type { Town } from '../../server/engine/town';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

/** Merge commits on the target, by the merge request id in their message. */
async function landedMergeRequestIds(repoPath: string): Promise<string[]> {
  const { stdout } = await runGit(['log', '--merges', '--format=%s', 'main'], { cwd: repoPath });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => /via (mr-[a-z0-9]+)/.exec(line)?.[1] ?? line);
}

async function runTown(h: Harness, polecats: number, beads: number): Promise<{ town: Town; events: DomainEvent[] }> {
  const town = await h.open();
  const events: DomainEvent[] = [];
  town.bus.subscribe((e) => events.push(e));
  await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 20_000 } });
  await town.polecats.add('myproject', polecats);
  // Hot paths only, so concurrent polecats collide the way a busy monorepo does.
  town.convoys.create(
    'sprint',
    Array.from({ length: beads }, (_, i) => ({
      rig: 'myproject',
      title: `bead ${i}`,
      paths: ['core/registry.ts', 'core/index.ts'],
    })),
  );
  town.start();
  await runUntil(h.clock, town, () => town.beads.list().length === 0, 3_600_000);
  return { town, events };
}

describe('a town on virtual time', () => {
  let h: Harness;
  afterEach(async () => h?.cleanup());

  it('lands every bead exactly once when polecats conflict on hot files', async () => {
    h = await createHarness();
    const { town, events } = await runTown(h, 6, 18);

    expect(town.beads.list()).toHaveLength(0);
    const rig = town.rigs.get('myproject')!;
    expect(rig.counters.merged).toBe(18);
    expect(rig.counters.conflicts).toBeGreaterThan(0);
    expect(rig.counters.reworkedMerged).toBeGreaterThan(0);

    const landed = await landedMergeRequestIds(h.repoPath);
    expect(landed).toHaveLength(18);
    expect(new Set(landed).size).toBe(18);
    const mergedEvents = events.filter((e) => e.type === 'mr.merged').map((e) => (e as { mr: string }).mr);
    expect(new Set(mergedEvents)).toEqual(new Set(landed));
    expect((await fsck(h.repoPath)).ok).toBe(true);
    expect(town.polecats.list().every((p) => p.state === 'idle')).toBe(true);
    await town.stop();
  });

  it('gives the same result for the same seed', async () => {
    h = await createHarness();
    const first = await runTown(h, 4, 8);
    const a = { ...first.town.rigs.get('myproject')!.counters, t: h.clock.now() };
    await first.town.stop();
    await h.cleanup();

    h = await createHarness();
    const second = await runTown(h, 4, 8);
    const b = { ...second.town.rigs.get('myproject')!.counters, t: h.clock.now() };
    await second.town.stop();
    expect(b).toEqual(a);
  });

  it('never dispatches a bead before the beads it depends on are done', async () => {
    h = await createHarness();
    const town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 10_000 } });
    await town.polecats.add('myproject', 3);
    const first = town.beads.create({ rig: 'myproject', title: 'schema', paths: ['core/'] });
    const second = town.beads.create({ rig: 'myproject', title: 'api on schema', paths: ['core/'], dependsOn: [first.id] });
    const starts: string[] = [];
    const done: string[] = [];
    town.bus.subscribe((e) => {
      if (e.type === 'bead.status_changed' && e.to === 'hooked') starts.push(e.bead);
      if (e.type === 'bead.status_changed' && e.to === 'done') done.push(e.bead);
    });
    town.start();
    await runUntil(h.clock, town, () => town.beads.list().length === 0, 600_000);
    expect(starts).toEqual([first.id, second.id]);
    expect(done).toEqual([first.id, second.id]);
    await town.stop();
  });
});
