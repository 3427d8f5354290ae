/**
 * Supervision on virtual time over real git: the Witness's ladder (nudge, restart,
 * escalate) for hung, dead and looping polecats; the Deacon's patrol latency, sequential
 * against tiered; gates; escalations climbing when nobody acknowledges them; parking.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent, EventOf } from '../../contracts/events';
import type { Town } from '../../server/engine/town';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const MIN = 60_000;

function eventsOf<T extends DomainEvent['type']>(events: DomainEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

async function town1(h: Harness, polecats: number, agentWorkMs = 60 * MIN) {
  const town = await h.open();
  const events: DomainEvent[] = [];
  town.bus.subscribe((e) => events.push(e));
  await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs } });
  await town.polecats.add('myproject', polecats);
  for (let i = 0; i < polecats; i++) town.beads.create({ rig: 'myproject', title: `bead ${i}`, paths: ['core/'] });
  town.start();
  await h.clock.advance(1_000, () => town.settle());
  return { town, events };
}

describe('the Witness', () => {
  let h: Harness;
  let town: Town | undefined;
  afterEach(async () => {
    await town?.stop();
    await h?.cleanup();
  });

  it('detects a hung polecat within its interval plus the threshold, nudges, then restarts it', async () => {
    h = await createHarness();
    const run = await town1(h, 2);
    town = run.town;
    const hungAt = h.clock.now();
    town.supervision.injectFailure('myproject/furiosa', 'hang');
    await runUntil(h.clock, town, () => eventsOf(run.events, 'polecat.restarted').length > 0, 30 * MIN, 10_000);
    const [first, second] = eventsOf(run.events, 'witness.detected').filter((e) => e.polecat === 'myproject/furiosa');
    expect(first).toMatchObject({ kind: 'unresponsive', action: 'nudge', strikes: 1 });
    expect(first.at - hungAt).toBeLessThanOrEqual(5 * MIN + 3 * MIN + 20_000);
    expect(second).toMatchObject({ kind: 'unresponsive', action: 'restart', strikes: 2 });
    // The healthy polecat was never flagged.
    expect(eventsOf(run.events, 'witness.detected').some((e) => e.polecat === 'myproject/nux')).toBe(false);
    // Restart-first: the new session makes progress again and the polecat recovers.
    await runUntil(h.clock, town, () => eventsOf(run.events, 'polecat.recovered').length > 0, 30 * MIN, 10_000);
    expect(town.polecats.list().find((p) => p.name === 'furiosa')).toMatchObject({ health: 'ok', strikes: 0, state: 'working' });
  });

  it('classifies a dead agent as a zombie and restarts it at once', async () => {
    h = await createHarness();
    const run = await town1(h, 1);
    town = run.town;
    town.supervision.injectFailure('myproject/furiosa', 'die');
    await runUntil(h.clock, town, () => eventsOf(run.events, 'witness.detected').length > 0, 30 * MIN, 10_000);
    expect(eventsOf(run.events, 'witness.detected')[0]).toMatchObject({ kind: 'zombie', action: 'restart' });
  });

  it('climbs the ladder to an escalation when the failure keeps coming back', async () => {
    h = await createHarness();
    const run = await town1(h, 1);
    town = run.town;
    town.supervision.injectFailure('myproject/furiosa', 'loop', true);
    await runUntil(h.clock, town, () => town!.escalations.list().length > 0, 90 * MIN, 10_000);
    const actions = eventsOf(run.events, 'witness.detected').map((e) => `${e.kind}:${e.action}`);
    expect(actions).toEqual(['stalled:nudge', 'stalled:restart', 'stalled:escalate']);
    expect(town.escalations.list()[0]).toMatchObject({ source: 'witness', severity: 'medium', polecatId: 'myproject/furiosa' });
    const polecat = town.polecats.list()[0];
    expect(polecat.state).toBe('stalled');
    expect(polecat.beadId).not.toBeNull(); // the bead and its worktree wait for a person
    // A looping agent spends tokens without progress.
    expect(eventsOf(run.events, 'agent.usage').length).toBeGreaterThan(10);
  });

  it('patrols more often past 15 polecats, unless the interval is pinned', async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    await town.polecats.add('myproject', 30);
    expect(town.supervision.witnessStatus('myproject').intervalMs).toBe(2.5 * MIN);
    town.rigs.updateSettings('myproject', { witnessIntervalMs: 4 * MIN });
    expect(town.supervision.witnessStatus('myproject').intervalMs).toBe(4 * MIN);
  });
});

/** 20 rigs (the seed's picture: 5 hot, 8 warm, 7 cold) with a timer gate on every hot rig. */
async function patrolLatency(h: Harness, mode: 'tiered' | 'sequential', rigs: number) {
  const town = await h.open();
  const events: DomainEvent[] = [];
  town.bus.subscribe((e) => events.push(e));
  town.updateSettings({ deaconMode: mode, gateFastPath: false }, 'test');
  for (let i = 0; i < rigs; i++) {
    const tier = i < 5 ? 'hot' : i < 13 ? 'warm' : 'cold';
    await town.rigs.add({ name: `rig-${i}`, repoPath: h.repoPath, settings: { tier } });
  }
  town.start();
  // Gates on the hot rigs become ready at staggered moments over 20 minutes.
  for (let k = 0; k < 20; k++) {
    const rig = `rig-${k % Math.min(5, rigs)}`;
    const bead = town.beads.create({ rig, title: `held ${k}` });
    town.gates.create({ kind: 'timer', title: `t${k}`, holds: [bead.id], until: h.clock.now() + k * 61_000 + 7_000, rig });
  }
  await runUntil(h.clock, town, () => town.gates.list().length === 0, 60 * MIN, 5_000);
  const status = town.supervision.deaconStatus();
  await town.stop();
  const latencies = eventsOf(events, 'gate.opened').map((e) => e.latencyMs);
  const cycles = eventsOf(events, 'deacon.cycle');
  return { latencies, cycles, status };
}

describe('the Deacon', () => {
  let h: Harness;
  afterEach(async () => h?.cleanup());

  it("counts a loop's rigs as they are now, as the patrol diagram draws them, not as at its last cycle", async () => {
    h = await createHarness();
    const town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 60 * MIN } });
    await town.polecats.add('myproject', 1);
    town.start();
    await h.clock.advance(3 * MIN, () => town.settle()); // idle: the warm loop has patrolled it
    expect(town.supervision.deaconStatus().loops.warm.rigs).toBe(1);
    town.beads.create({ rig: 'myproject', title: 'work', paths: ['core/'] });
    await h.clock.advance(1_000, () => town.settle()); // a polecat at work: hot, before any hot cycle
    expect(town.supervision.tier('myproject')).toBe('hot');
    const { loops } = town.supervision.deaconStatus();
    expect([loops.hot.rigs, loops.warm.rigs]).toEqual([1, 0]);
    await town.stop();
  });

  it('keeps hot-rig gate latency under 60 s with 20 rigs in tiered mode', async () => {
    h = await createHarness();
    const { latencies, status } = await patrolLatency(h, 'tiered', 20);
    expect(latencies).toHaveLength(20);
    expect(Math.max(...latencies)).toBeLessThan(60_000);
    expect(status.loops.hot.lastCycleMs).toBe(5 * 10_000);
    expect(status.loops.cold.rigs).toBe(7);
  });

  it('shows the seed’s growth of a sequential patrol with the number of rigs', async () => {
    const cycleFor = async (rigs: number) => {
      h = await createHarness();
      const r = await patrolLatency(h, 'sequential', rigs);
      await h.cleanup();
      return r;
    };
    const three = await cycleFor(3);
    const ten = await cycleFor(10);
    const twenty = await cycleFor(20);
    const cycle = (r: typeof three) => r.cycles.find((c) => c.tier === 'all')!.durationMs;
    // The seed: ~30 s at 3 rigs, ~2 min at 10, ~5 min at 20 (gates may feel slow).
    expect(cycle(three)).toBe(30_000);
    expect(cycle(ten)).toBeGreaterThanOrEqual(90_000);
    expect(cycle(twenty)).toBeGreaterThanOrEqual(180_000);
    expect(Math.max(...twenty.latencies)).toBeGreaterThan(60_000);
    expect(twenty.status.lastPatrolDurationMs).toBe(cycle(twenty));
  });
});

describe('gates and escalations', () => {
  let h: Harness;
  let town: Town | undefined;
  afterEach(async () => {
    await town?.stop();
    await h?.cleanup();
  });

  it('holds beads behind a merge-landed gate until the merges land, then releases them at once', async () => {
    h = await createHarness();
    town = await h.open();
    const events: DomainEvent[] = [];
    town.bus.subscribe((e) => events.push(e));
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 20_000 } });
    await town.polecats.add('myproject', 4);
    const wave1 = [0, 1].map((i) => town!.beads.create({ rig: 'myproject', title: `w1-${i}`, paths: ['ui/'] }));
    const wave2 = [0, 1].map((i) => town!.beads.create({ rig: 'myproject', title: `w2-${i}`, paths: ['tests/'] }));
    town.gates.create({
      kind: 'merge_landed',
      title: 'wave 2',
      holds: wave2.map((b) => b.id),
      beads: wave1.map((b) => b.id),
      rig: 'myproject',
    });
    town.start();
    await runUntil(h.clock, town, () => town!.beads.list().length === 0, 60 * MIN);
    const hooked = eventsOf(events, 'bead.status_changed').filter((e) => e.to === 'hooked');
    const done = eventsOf(events, 'bead.status_changed').filter((e) => e.to === 'done');
    const lastWave1Done = Math.max(...done.filter((e) => wave1.some((b) => b.id === e.bead)).map((e) => e.at));
    for (const b of wave2) expect(hooked.find((e) => e.bead === b.id)!.at).toBeGreaterThanOrEqual(lastWave1Done);
    expect(eventsOf(events, 'gate.opened')[0]).toMatchObject({ by: 'fast-path', latencyMs: 0 });
  });

  it('opens a human gate only on approval, naming who approved', async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    const bead = town.beads.create({ rig: 'myproject', title: 'ship it' });
    const gate = town.gates.create({ kind: 'human', title: 'release approval', holds: [bead.id] });
    expect(town.gates.isHeld(bead.id)).toBe(true);
    expect(() => town!.gates.approve('gate-nope', 'ada')).toThrow(/does not exist/);
    expect(town.gates.approve(gate.id, 'ada')).toMatchObject({ status: 'open', openedBy: 'ada' });
    expect(town.gates.isHeld(bead.id)).toBe(false);
  });

  it('raises an unacknowledged escalation one level after 4 hours, and not an acknowledged one', async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    town.start();
    const a = town.escalations.raise({ severity: 'medium', source: 'test', reason: 'left alone' });
    const b = town.escalations.raise({ severity: 'medium', source: 'test', reason: 'taken care of' });
    town.escalations.acknowledge(b.id, 'ada');
    await h.clock.advance(4 * 60 * MIN + 5 * MIN, () => town!.settle());
    expect(town.escalations.get(a.id)!.severity).toBe('high');
    expect(town.escalations.get(b.id)).toMatchObject({ severity: 'medium', acknowledgedBy: 'ada' });
  });

  it('gives a parked rig no new work and only cold-tier health checks', async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    await town.polecats.add('myproject', 1);
    town.supervision.park('myproject', 'ada');
    expect(() => town!.supervision.park('myproject', 'ada')).toThrow(/already parked/);
    town.beads.create({ rig: 'myproject', title: 'waits' });
    town.start();
    await h.clock.advance(5 * MIN, () => town!.settle());
    expect(town.polecats.list()[0].state).toBe('idle');
    expect(town.supervision.tier('myproject')).toBe('cold');
    town.supervision.unpark('myproject', 'ada');
    await h.clock.advance(1_000, () => town!.settle());
    expect(town.polecats.list()[0].state).toBe('working');
  });
});
