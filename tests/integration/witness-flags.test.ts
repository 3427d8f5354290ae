/**
 * The Witness tells the truth about a polecat (issue 21): it judges only polecats that
 * should be running an agent, its flags clear when their condition does, and a split or
 * a merge back keeps its patrol clock (an injected death is still found on time).
 * Virtual time over real git, with the scripted agent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent, EventOf } from '../../contracts/events';
import type { Town } from '../../server/engine/town';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const MIN = 60_000;

function eventsOf<T extends DomainEvent['type']>(events: DomainEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

let h: Harness;
let town: Town | undefined;
afterEach(async () => {
  await town?.stop();
  town = undefined;
  await h?.cleanup();
});

async function openTown(rig: string, polecats: number, beads: string[], agentWorkMs: number) {
  h = await createHarness();
  town = await h.open();
  const events: DomainEvent[] = [];
  town.bus.subscribe((e) => events.push(e));
  await town.rigs.add({ name: rig, repoPath: h.repoPath, settings: { agentWorkMs } });
  await town.polecats.add(rig, polecats);
  for (let i = 0; i < beads.length; i++) town.beads.create({ rig, title: `bead ${i}`, paths: [beads[i]] });
  town.start();
  await h.clock.advance(1_000, () => town!.settle());
  return { town, events };
}

describe('the Witness judges only running agents', () => {
  it('does not flag a polecat as a zombie while its new session is still starting', async () => {
    const { town, events } = await openTown('myproject', 1, ['core/'], 30 * MIN);
    town.rigs.updateSettings('myproject', { witnessIntervalMs: MIN });
    // A restart drops the old session and prepares the worktree (real git) before the new
    // one starts; the patrol below fires in that gap, before the git work has answered.
    town.supervision.restartPolecat('myproject/furiosa', 'test');
    await h.clock.advance(MIN + 1_000);
    expect(eventsOf(events, 'witness.patrolled').length).toBeGreaterThan(0);
    expect(eventsOf(events, 'witness.detected')).toEqual([]);
    await h.clock.advance(5 * MIN, () => town.settle());
    expect(eventsOf(events, 'witness.detected')).toEqual([]);
    expect(town.polecats.list()[0]).toMatchObject({ state: 'working', health: 'ok' });
  });
});

describe('Witness flags clear', () => {
  it('clears a zombie flag the moment the restarted polecat submits, before any further patrol', async () => {
    // Its work takes 2 minutes: the restarted session submits well inside the 5-minute interval.
    const { town, events } = await openTown('myproject', 1, ['core/'], 2 * MIN);
    town.supervision.injectFailure('myproject/furiosa', 'die');
    await runUntil(h.clock, town, () => eventsOf(events, 'witness.detected').length > 0, 30 * MIN, 5_000);
    expect(eventsOf(events, 'witness.detected')[0]).toMatchObject({ kind: 'zombie', action: 'restart' });
    expect(town.polecats.list()[0]).toMatchObject({ health: 'zombie', strikes: 1 });
    const patrols = eventsOf(events, 'witness.patrolled').length;
    await runUntil(h.clock, town, () => town.polecats.list()[0].state !== 'working', 4 * MIN, 5_000);
    expect(eventsOf(events, 'witness.patrolled').length).toBe(patrols); // no patrol cleared it
    // No agent should run now: the flag and the ladder's rung are gone from what pages read.
    expect(['submitted', 'idle']).toContain(town.polecats.list()[0].state);
    expect(town.polecats.list()[0]).toMatchObject({ health: 'ok', strikes: 0 });
    expect(eventsOf(events, 'polecat.recovered').map((e) => e.polecat)).toEqual(['myproject/furiosa']);
  });
});

describe('a split keeps Witness timers', () => {
  it("finds an injected die in a partition when the parent's patrol was due, not a whole interval after the split", async () => {
    const { town, events } = await openTown('app', 3, ['core/', 'ui/', 'tests/'], 60 * MIN);
    // Four of the five minutes of the parent's interval pass before the split.
    await h.clock.advance(4 * MIN, () => town.settle());
    const due = town.supervision.witnessStatus('app').nextPatrolAt!;
    await town.rigs.split(
      'app',
      { partitions: ['core', 'ui', 'tests'].map((a) => ({ name: `app-${a}`, globs: [`${a}/**`] })) },
      'test',
    );
    const splitAt = h.clock.now();
    const victim = town.polecats.list().find((p) => p.rig !== 'app' && p.state === 'working')!;
    expect(town.supervision.witnessStatus(victim.rig).nextPatrolAt).toBe(due);
    town.supervision.injectFailure(victim.id, 'die');
    await runUntil(h.clock, town, () => eventsOf(events, 'witness.detected').length > 0, 15 * MIN, 10_000);
    const [found] = eventsOf(events, 'witness.detected');
    expect(found).toMatchObject({ polecat: victim.id, kind: 'zombie' });
    // Found at the parent's due time (a minute after the split), not five minutes after it.
    expect(found.at - splitAt).toBeLessThanOrEqual(MIN + 10_000);
  });

  it('keeps the soonest patrol time of the partitions when they merge back', async () => {
    const { town } = await openTown('app', 3, ['core/', 'ui/', 'tests/'], 60 * MIN);
    await town.rigs.split('app', { partitions: ['core', 'ui'].map((a) => ({ name: `app-${a}`, globs: [`${a}/**`] })) }, 'test');
    await h.clock.advance(3 * MIN, () => town.settle());
    const dues = town.rigs
      .list()
      .filter((r) => r.status !== 'retired')
      .map((r) => town.supervision.witnessStatus(r.name).nextPatrolAt!);
    await town.rigs.merge('app-core', 'test');
    expect(town.supervision.witnessStatus('app').nextPatrolAt).toBe(Math.min(...dues));
  });
});
