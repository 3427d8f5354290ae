/**
 * A silence's duration is a person's: real time, whatever the engine's time scale. At x20
 * a "1 h" silence lasted 3 real minutes (issue 21); now it is 20 h of engine time, one real
 * hour. The engine's clock here is a virtual clock that says it runs 20 times faster than
 * real time, as the demo's GT_TIME_SCALE=20 clock does, so a real hour can be stepped.
 */
import { describe, expect, it } from 'vitest';
import { AlertManager } from '@/server/alerts/manager';
import { DEFAULT_RULES } from '@/server/alerts/rules';
import { MemoryAlertStore } from '@/server/alerts/store';
import { VirtualClock } from '@/server/engine/clock';
import type { MetricSnapshot } from '@/contracts/metrics';

const SCALE = 20;
const HOUR = 3_600_000;
const STEP = 10_000;
const RIG = 'myproject';
const rule = DEFAULT_RULES.find((r) => r.id === 'merge-queue-backlog')!;

/** Virtual time, `SCALE` engine ms per real ms. */
class ScaledVirtualClock extends VirtualClock {
  override readonly scale = SCALE;
}

async function townWithQueueAlert() {
  const clock = new ScaledVirtualClock();
  const notified: string[] = [];
  const manager = new AlertManager({
    store: new MemoryAlertStore(),
    clock,
    notify: (status) => notified.push(status),
  });
  await manager.load();
  for (const other of manager.listRules()) if (other.id !== rule.id) manager.updateRule({ id: other.id, enabled: false }, 'test');
  // The queue is over its threshold throughout: the alert fires after its `for` and stays.
  const snapshot = (): MetricSnapshot => ({
    at: clock.now(),
    town: {},
    rigs: { [RIG]: { [rule.conditions[0].metric]: rule.conditions[0].threshold + 1 } },
  });
  clock.every(STEP, () => manager.evaluate(snapshot()));
  const alert = () => manager.activeView().active.find((a) => a.ruleId === rule.id);
  return { clock, manager, notified, alert };
}

describe('a silence on a scaled engine clock', () => {
  it('lasts the real hour it was given (20 h of engine time at x20), not 3 real minutes', async () => {
    const { clock, manager, notified, alert } = await townWithQueueAlert();
    const silence = manager.createSilence(
      { matchers: [{ name: 'rule', value: rule.id }], reason: 'known: fix deploying', durationMs: HOUR },
      'ada',
    );
    expect(silence.endsAt - silence.startsAt).toBe(SCALE * HOUR);

    // Three real minutes (one engine hour) in: the old end. Still silenced.
    await clock.advance(HOUR);
    expect(alert()).toMatchObject({ state: 'firing', silencedBy: silence.id });
    // Just short of a real hour: still silenced, nothing sent.
    await clock.advance(SCALE * HOUR - HOUR - 2 * STEP);
    expect(alert()).toMatchObject({ state: 'firing', silencedBy: silence.id });
    expect(notified).toEqual([]);
    expect(manager.activeView().silences.map((s) => s.id)).toEqual([silence.id]);

    // A real hour: it has ended and the alert is shown and sent.
    await clock.advance(2 * STEP);
    expect(alert()).toMatchObject({ state: 'firing', silencedBy: null });
    expect(notified).toEqual(['firing']);
    expect(manager.activeView().silences).toEqual([]);
  });

  it('says which clock it is on: the view carries the time scale', async () => {
    const { manager } = await townWithQueueAlert();
    expect(manager.activeView().timeScale).toBe(SCALE);
  });
});
