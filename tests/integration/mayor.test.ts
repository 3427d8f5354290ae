/**
 * The Mayor on virtual time over real git: staggered waves against all-at-once dispatch
 * of the same convoy, wave gating and re-staggering, provider limits (throttled, not
 * stalled), token costs and retry-loop detection, and bad input to the convoy commands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCommandBus } from '../../server/commands';
import type { Actor } from '../../server/commands/command';
import type { DomainEvent, EventOf } from '../../contracts/events';
import type { Town } from '../../server/engine/town';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const MIN = 60_000;
const operator: Actor = { name: 'ada', role: 'operator' };

function eventsOf<T extends DomainEvent['type']>(events: DomainEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

/** The same 20-bead convoy on hot files of one rig with 20 polecats, dispatched one way or the other. */
async function runConvoy(h: Harness, waveSize: number | null) {
  const town = await h.open();
  const events: DomainEvent[] = [];
  town.bus.subscribe((e) => events.push(e));
  await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 20 * MIN } });
  await town.polecats.add('myproject', 20);
  const convoy = town.convoys.create(
    'sprint',
    Array.from({ length: 20 }, (_, i) => ({ rig: 'myproject', title: `bead ${i}`, paths: ['core/'] })),
    { hold: true },
  );
  town.start();
  town.convoys.dispatch(convoy.id, waveSize, 'test');
  await runUntil(h.clock, town, () => town.beads.list().length === 0, 48 * 60 * MIN, 30_000);
  const waves = eventsOf(events, 'wave.landed');
  const conflicts = waves.reduce((n, w) => n + w.conflicts, 0);
  const attempts = waves.reduce((n, w) => n + w.merged + w.conflicts + w.rejections, 0);
  await town.stop();
  return { town, events, waves, conflictRate: conflicts / attempts, attempts };
}

describe('staggered convoys', () => {
  let h: Harness;
  afterEach(async () => h?.cleanup());

  it('have a lower conflict rate than the same convoy dispatched all at once', async () => {
    h = await createHarness();
    const allAtOnce = await runConvoy(h, null);
    await h.cleanup();
    h = await createHarness();
    const staggered = await runConvoy(h, 5);
    expect(allAtOnce.waves).toHaveLength(1);
    expect(staggered.waves).toHaveLength(4);
    expect(staggered.conflictRate).toBeLessThan(allAtOnce.conflictRate);
    // Wave N+1 starts only after wave N's merges have landed.
    const started = eventsOf(staggered.events, 'wave.started');
    for (const s of started.filter((e) => e.wave > 1)) {
      const before = staggered.waves.find((w) => w.wave === s.wave - 1)!;
      expect(s.at).toBeGreaterThanOrEqual(before.at);
    }
  });

  it('re-plans only the waves not yet dispatched when re-staggered in flight', async () => {
    h = await createHarness();
    const town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 10 * MIN } });
    await town.polecats.add('myproject', 4);
    const convoy = town.convoys.create(
      'sprint',
      Array.from({ length: 12 }, (_, i) => ({ rig: 'myproject', title: `bead ${i}`, paths: ['ui/'] })),
      { hold: true },
    );
    town.start();
    town.convoys.dispatch(convoy.id, 4, 'test');
    await h.clock.advance(1_000, () => town.settle());
    const first = [...town.convoys.find(convoy.id)!.waves[0].beads];
    town.convoys.stagger(convoy.id, 2, 'test');
    const waves = town.convoys.find(convoy.id)!.waves;
    expect(waves[0].beads).toEqual(first); // in flight: kept
    expect(waves.slice(1).map((w) => w.beads.length)).toEqual([2, 2, 2, 2]);
    await runUntil(h.clock, town, () => town.beads.list().length === 0, 24 * 60 * MIN, 30_000);
    expect(town.convoys.find(convoy.id)).toBeUndefined(); // landed
    await town.stop();
  });
});

describe('provider limits and costs', () => {
  let h: Harness;
  let town: Town | undefined;
  afterEach(async () => {
    await town?.stop();
    await h?.cleanup();
  });

  it('keeps polecats over the session limit throttled, not stalled, and counts the waits', async () => {
    h = await createHarness();
    town = await h.open();
    const events: DomainEvent[] = [];
    town.bus.subscribe((e) => events.push(e));
    town.updateSettings({ providers: { anthropic: { maxSessions: 2, tokensPerMinute: null } } }, 'test');
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 5 * MIN } });
    await town.polecats.add('myproject', 4);
    for (let i = 0; i < 4; i++) town.beads.create({ rig: 'myproject', title: `b${i}`, paths: ['tests/'] });
    town.start();
    await h.clock.advance(10_000, () => town!.settle());
    const states = town.polecats
      .list()
      .map((p) => p.state)
      .sort();
    expect(states).toEqual(['throttled', 'throttled', 'working', 'working']);
    await runUntil(h.clock, town, () => town!.beads.list().length === 0, 3 * 60 * MIN, 10_000);
    const [stats] = town.limiter.stats();
    expect(stats).toMatchObject({ provider: 'anthropic', throttles: 2 });
    expect(stats.waitMs.sample).toBe(2);
    expect(eventsOf(events, 'witness.detected')).toHaveLength(0);
  });

  it('prices usage by model, sums it per day, and flags a polecat burning tokens without progress', async () => {
    h = await createHarness();
    town = await h.open();
    const events: DomainEvent[] = [];
    town.bus.subscribe((e) => events.push(e));
    town.updateSettings({ retryLoopTokens: 10_000 }, 'test');
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 30 * MIN } });
    await town.polecats.add('myproject', 1);
    town.beads.create({ rig: 'myproject', title: 'loops', paths: ['core/'] });
    town.start();
    await h.clock.advance(1_000, () => town!.settle());
    town.supervision.injectFailure('myproject/furiosa', 'loop');
    await runUntil(h.clock, town, () => eventsOf(events, 'polecat.retry_loop').length > 0, 60 * MIN, 10_000);
    expect(eventsOf(events, 'polecat.retry_loop')[0].tokensWithoutProgress).toBeGreaterThanOrEqual(10_000);
    await town.settle();
    const usage = await h.store.listUsage({});
    expect(usage).toHaveLength(1);
    const tokens = usage[0].inputTokens + usage[0].outputTokens;
    expect(tokens).toBe(town.polecats.list()[0].tokensUsed);
    // claude-sonnet-4-5: $3 in, $15 out per million tokens.
    expect(usage[0].costUsd).toBeCloseTo((usage[0].inputTokens * 3 + usage[0].outputTokens * 15) / 1e6, 9);
    expect(town.costs.todaySpend().costUsd).toBeCloseTo(usage[0].costUsd!, 9);
  });
});

describe('convoy commands refuse bad input', () => {
  let h: Harness;
  let town: Town;
  afterEach(async () => {
    await town.stop();
    await h.cleanup();
  });

  it.each([
    ['convoy.dispatch', (id: string) => ({ id, waveSize: 0 }), 'invalid', /at least 1/],
    ['convoy.dispatch', (id: string) => ({ id, waveSize: 7 }), 'invalid', /larger than the convoy/],
    ['convoy.dispatch', () => ({ id: 'cv-nope', waveSize: 2 }), 'not_found', /does not exist/],
    ['convoy.stagger', (id: string) => ({ id, waveSize: -1 }), 'invalid', /at least 1/],
    ['costs.budget', () => ({ dailyBudgetUsd: -5 }), 'invalid', /negative/],
    ['providers.limit', () => ({ provider: 'anthropic', maxSessions: 0, tokensPerMinute: null }), 'invalid', /1/],
  ])('refuses %s and changes nothing', async (name, input, code, message) => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    const convoy = town.convoys.create(
      'c',
      Array.from({ length: 6 }, (_, i) => ({ rig: 'myproject', title: `b${i}` })),
      { hold: true },
    );
    const settings = structuredClone(town.settings);
    const bus = createCommandBus({ engine: town });
    const err = await bus.execute(name, input(convoy.id), operator).then(
      () => null,
      (e: { code: string; message: string }) => e,
    );
    expect(err?.code).toBe(code);
    expect(err?.message).toMatch(message);
    expect(town.convoys.find(convoy.id)).toMatchObject({ dispatchedAt: null, waves: [] });
    expect(town.settings).toEqual(settings);
  });

  it('refuses a dependency that would make a cycle', async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    const a = town.beads.create({ rig: 'myproject', title: 'a' });
    const b = town.beads.create({ rig: 'myproject', title: 'b', dependsOn: [a.id] });
    const bus = createCommandBus({ engine: town });
    await expect(bus.execute('bead.depend', { id: a.id, on: [b.id] }, operator)).rejects.toMatchObject({
      code: 'invalid',
      message: /cycle/,
    });
    expect(town.beads.get(a.id)!.dependsOn).toEqual([]);
  });
});
