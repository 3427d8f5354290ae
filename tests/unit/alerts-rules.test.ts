/**
 * Every default rule, on virtual time: the alert manager evaluated every 10 s by a driver
 * on the engine clock, fed values that hold or break each rule's conditions. For each
 * rule: pending to firing after exactly its `for`, no firing on a shorter blip,
 * keep-firing-for then resolution, acknowledgement (cleared with the episode), and a
 * silence muting it until it ends.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { AlertManager } from '@/server/alerts/manager';
import type { AlertView, AlertRule } from '@/contracts/alerts';
import { DEFAULT_RULES } from '@/server/alerts/rules';
import { MemoryAlertStore } from '@/server/alerts/store';
import { VirtualClock } from '@/server/engine/clock';
import { METRICS, type MetricSnapshot, type MetricValues } from '@/contracts/metrics';

const STEP = 10_000;
const RIG = 'myproject';

/** Values for which the rule's condition holds (or not): the first condition is the one that moves. */
function valuesFor(rule: AlertRule, holds: boolean): MetricValues {
  const values: MetricValues = {};
  rule.conditions.forEach((c, i) => {
    const step = METRICS[c.metric].unit === 'ratio' ? 0.05 : 1;
    const pass = c.op.startsWith('>') ? c.threshold + step : c.threshold - step;
    const fail = c.op.startsWith('>') ? c.threshold - step : c.threshold + step;
    values[c.metric] = rule.match === 'all' ? (holds || i > 0 ? pass : fail) : holds && i === 0 ? pass : fail;
  });
  return values;
}

class Fixture {
  clock = new VirtualClock();
  store = new MemoryAlertStore();
  notified: Array<{ status: string; id: string }> = [];
  manager = new AlertManager({
    store: this.store,
    clock: this.clock,
    notify: (status, alert) => this.notified.push({ status, id: alert.id }),
  });
  holds = false;
  /** Engine time of the first evaluation after `breach()` (the alert's activeAt). */
  constructor(readonly rule: AlertRule) {}

  async start(): Promise<void> {
    await this.manager.load();
    // The rule under test alone: others watching the same metrics (the 20% and 40% conflict rules) would fire too.
    for (const other of this.manager.listRules())
      if (other.id !== this.rule.id) this.manager.updateRule({ id: other.id, enabled: false }, 'test');
    this.clock.every(STEP, () => this.manager.evaluate(this.snapshot()));
  }

  snapshot(): MetricSnapshot {
    const values = valuesFor(this.rule, this.holds);
    const at = this.clock.now();
    return this.rule.scope === 'town' ? { at, town: values, rigs: {} } : { at, town: {}, rigs: { [RIG]: values } };
  }

  /** The condition holds from the next evaluation on; returns that evaluation's time. */
  breach(): number {
    this.holds = true;
    return this.clock.now() + STEP;
  }

  calm(): number {
    this.holds = false;
    return this.clock.now() + STEP;
  }

  /** Advances virtual time to just after `at` (evaluations at `at` included). */
  async until(at: number): Promise<void> {
    await this.clock.advance(at - this.clock.now());
  }

  alert(): AlertView | undefined {
    return this.manager.activeView().active.find((a) => a.ruleId === this.rule.id);
  }
}

describe.each(DEFAULT_RULES.map((r) => [r.id, r] as const))('rule %s', (_id, defaults) => {
  let f: Fixture;
  const rule = structuredClone(defaults) as AlertRule;
  beforeEach(async () => {
    f = new Fixture(rule);
    await f.start();
    await f.until(f.clock.now() + 3 * STEP); // some calm first
  });

  it(`goes from pending to firing exactly ${rule.forMs / 1000} s after its condition started holding`, async () => {
    const activeAt = f.breach();
    if (rule.forMs === 0) {
      await f.until(activeAt);
      expect(f.alert()).toMatchObject({
        state: 'firing',
        activeAt,
        firedAt: activeAt,
        labels: rule.scope === 'rig' ? { rig: RIG } : {},
      });
      return;
    }
    await f.until(activeAt + rule.forMs - STEP);
    expect(f.alert()).toMatchObject({ state: 'pending', activeAt, firedAt: null });
    expect(f.notified).toEqual([]);
    await f.until(activeAt + rule.forMs);
    expect(f.alert()).toMatchObject({ state: 'firing', activeAt, firedAt: activeAt + rule.forMs });
    expect(f.notified).toEqual([{ status: 'firing', id: f.alert()!.id }]);
  });

  it('does not fire on a blip shorter than its `for`', async () => {
    // A rule that fires at once has no blip to ignore; with a `for` set by an operator it does.
    const forMs = rule.forMs || 60_000;
    if (rule.forMs === 0) f.manager.updateRule({ id: rule.id, forMs }, 'ada');
    const activeAt = f.breach();
    await f.until(activeAt + forMs - STEP);
    expect(f.alert()?.state).toBe('pending');
    const cleared = f.calm();
    await f.until(cleared + forMs);
    expect(f.alert()).toBeUndefined();
    expect(f.notified).toEqual([]);
    await f.manager.flush();
    expect(await f.store.listAlerts({})).toEqual([]); // a blip leaves no history
  });

  it(`keeps firing ${rule.keepFiringForMs / 1000} s after its condition stops, then resolves`, async () => {
    const activeAt = f.breach();
    await f.until(activeAt + rule.forMs);
    const id = f.alert()!.id;
    const firstMiss = f.calm();
    if (rule.keepFiringForMs > 0) {
      await f.until(firstMiss + rule.keepFiringForMs - STEP);
      expect(f.alert()).toMatchObject({ id, state: 'firing', keepFiringSince: firstMiss });
    }
    await f.until(firstMiss + rule.keepFiringForMs);
    expect(f.alert()).toBeUndefined();
    expect(f.notified).toEqual([
      { status: 'firing', id },
      { status: 'resolved', id },
    ]);
    const [past] = await f.manager.listAlerts({ states: ['resolved'] });
    expect(past).toMatchObject({
      id,
      state: 'resolved',
      activeAt,
      firedAt: activeAt + rule.forMs,
      resolvedAt: firstMiss + rule.keepFiringForMs,
    });
  });

  it('records who acknowledged it and when; a new firing starts unacknowledged', async () => {
    const activeAt = f.breach();
    await f.until(activeAt + rule.forMs);
    const ackAt = f.clock.now();
    const acked = f.manager.acknowledge(f.alert()!.id, 'ada');
    expect(acked).toMatchObject({ acknowledgedBy: 'ada', acknowledgedAt: ackAt });
    expect(f.alert()).toMatchObject({ acknowledgedBy: 'ada' });

    const firstMiss = f.calm();
    await f.until(firstMiss + rule.keepFiringForMs);
    expect(f.alert()).toBeUndefined();
    const again = f.breach();
    await f.until(again + rule.forMs);
    expect(f.alert()).toMatchObject({ state: 'firing', acknowledgedBy: null, acknowledgedAt: null });
    expect(f.alert()!.id).not.toBe(acked.id);
    const [past] = await f.manager.listAlerts({ states: ['resolved'] });
    expect(past).toMatchObject({ id: acked.id, acknowledgedBy: 'ada' });
  });

  it('is muted by a silence until the silence ends, then shown and notified', async () => {
    const silence = f.manager.createSilence(
      {
        matchers: [{ name: 'rule', value: rule.id }, ...(rule.scope === 'rig' ? [{ name: 'rig', value: RIG }] : [])],
        reason: 'known: fix deploying',
        durationMs: rule.forMs + 5 * 60_000,
      },
      'ada',
    );
    const activeAt = f.breach();
    await f.until(activeAt + rule.forMs);
    expect(f.alert()).toMatchObject({ state: 'firing', silencedBy: silence.id });
    expect(f.notified).toEqual([]);

    await f.until(silence.endsAt);
    expect(f.alert()).toMatchObject({ state: 'firing', silencedBy: null });
    expect(f.notified).toEqual([{ status: 'firing', id: f.alert()!.id }]);
    expect(f.manager.activeView().silences).toEqual([]);
  });
});

describe('the alert manager', () => {
  const queue = DEFAULT_RULES.find((r) => r.id === 'merge-queue-backlog')!;
  const conflictHigh = DEFAULT_RULES.find((r) => r.id === 'conflict-rate-high')!;

  it('fires a per-rig rule once per rig, with the rig as label', async () => {
    const clock = new VirtualClock();
    const m = new AlertManager({ store: new MemoryAlertStore(), clock });
    await m.load();
    m.updateRule({ id: queue.id, forMs: 0 }, 'ada');
    m.evaluate({ at: clock.now(), town: {}, rigs: { a: { queue_depth: 9 }, b: { queue_depth: 2 }, c: { queue_depth: 7 } } });
    const firing = m.activeView().active.filter((x) => x.ruleId === queue.id);
    expect(firing.map((x) => x.labels.rig).sort()).toEqual(['a', 'c']);
    expect(firing[0].summary).toMatch(/queue_depth \d+ \(> 5\) on [ac]/);
  });

  it('mutes the early conflict warning while the 40% alert fires on the same rig', async () => {
    const clock = new VirtualClock();
    const notified: string[] = [];
    const m = new AlertManager({ store: new MemoryAlertStore(), clock, notify: (s, a) => notified.push(`${s}:${a.ruleId}`) });
    await m.load();
    for (const id of ['conflict-rate-high', 'conflict-rate-rising']) m.updateRule({ id, forMs: 0 }, 'ada');
    m.evaluate({ at: clock.now(), town: {}, rigs: { r: { conflict_rate: 0.5, conflict_sample: 30 } } });
    const byRule = Object.fromEntries(m.activeView().active.map((a) => [a.ruleId, a]));
    expect(byRule[conflictHigh.id].inhibitedBy).toBeNull();
    expect(byRule['conflict-rate-rising'].inhibitedBy).toBe(byRule[conflictHigh.id].id);
    expect(notified).toEqual(['firing:conflict-rate-high']);
  });

  it('does not call a conflict rate over too few attempts a signal', async () => {
    const clock = new VirtualClock();
    const m = new AlertManager({ store: new MemoryAlertStore(), clock });
    await m.load();
    m.updateRule({ id: conflictHigh.id, forMs: 0 }, 'ada');
    m.evaluate({ at: clock.now(), town: {}, rigs: { r: { conflict_rate: 1, conflict_sample: 2 } } });
    expect(m.activeView().active).toEqual([]);
  });

  it('resolves the alerts of a rule that is disabled, and refuses to delete a default rule', async () => {
    const clock = new VirtualClock();
    const m = new AlertManager({ store: new MemoryAlertStore(), clock });
    await m.load();
    m.updateRule({ id: queue.id, forMs: 0 }, 'ada');
    m.evaluate({ at: clock.now(), town: {}, rigs: { r: { queue_depth: 9 } } });
    expect(m.activeView().active).toHaveLength(1);
    m.updateRule({ id: queue.id, enabled: false }, 'ada');
    expect(m.activeView().active).toHaveLength(0);
    expect(() => m.deleteRule(queue.id, 'ada')).toThrow(/disable it instead/);
    expect(() =>
      m.updateRule({ id: queue.id, scope: 'rig', conditions: [{ metric: 'patrol_duration', op: '>', threshold: 1 }] }, 'ada'),
    ).toThrow(/per-rig rule/);
  });

  it('refuses to acknowledge an alert that is only pending', async () => {
    const clock = new VirtualClock();
    const m = new AlertManager({ store: new MemoryAlertStore(), clock });
    await m.load();
    m.evaluate({ at: clock.now(), town: {}, rigs: { r: { queue_depth: 9 } } });
    const [pending] = m.activeView().active;
    expect(pending.state).toBe('pending');
    expect(() => m.acknowledge(pending.id, 'ada')).toThrow(/has not fired yet/);
  });
});
