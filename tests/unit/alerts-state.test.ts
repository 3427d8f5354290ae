/**
 * The alert state machine, row by row of its table (server/alerts/state.ts): Prometheus's
 * pending -> firing -> resolved with `for` and keep-firing-for, on explicit times.
 */
import { describe, expect, it } from 'vitest';
import { INACTIVE, evaluate, type AlertTiming } from '@/server/alerts/state';

const rule = { forMs: 60_000, keepFiringForMs: 30_000 };
const at = (ms: number) => 1_000_000 + ms;

function run(steps: Array<[number, boolean]>, r = rule): AlertTiming[] {
  let t = INACTIVE;
  return steps.map(([ms, holds]) => (t = evaluate(t, holds, at(ms), r)));
}

describe('the alert state machine', () => {
  it('stays inactive while the condition does not hold', () => {
    expect(evaluate(INACTIVE, false, at(0), rule)).toBe(INACTIVE);
  });

  it('goes pending when the condition starts holding, with activeAt', () => {
    expect(evaluate(INACTIVE, true, at(0), rule)).toEqual({ ...INACTIVE, state: 'pending', activeAt: at(0) });
  });

  it('fires at once when `for` is 0', () => {
    expect(evaluate(INACTIVE, true, at(0), { forMs: 0, keepFiringForMs: 0 })).toMatchObject({
      state: 'firing',
      activeAt: at(0),
      firedAt: at(0),
    });
  });

  it('fires exactly when the condition has held for `for`, not one millisecond earlier', () => {
    const [p0, p1, fired] = run([
      [0, true],
      [59_999, true],
      [60_000, true],
    ]);
    expect(p0.state).toBe('pending');
    expect(p1.state).toBe('pending');
    expect(fired).toMatchObject({ state: 'firing', activeAt: at(0), firedAt: at(60_000) });
  });

  it('drops a pending alert on a blip: it never fired', () => {
    const states = run([
      [0, true],
      [30_000, true],
      [40_000, false],
      [70_000, false],
    ]).map((t) => t.state);
    expect(states).toEqual(['pending', 'pending', 'inactive', 'inactive']);
  });

  it('keeps firing for keep-firing-for after the condition stops, counting from the first miss', () => {
    const steps = run([
      [0, true],
      [60_000, true],
      [70_000, false],
      [99_999, false],
      [100_000, false],
    ]);
    expect(steps.map((t) => t.state)).toEqual(['pending', 'firing', 'firing', 'firing', 'resolved']);
    expect(steps[2].keepFiringSince).toBe(at(70_000));
    expect(steps[4]).toMatchObject({ resolvedAt: at(100_000), firedAt: at(60_000), keepFiringSince: null });
  });

  it('does not flap: the condition coming back within keep-firing-for keeps the same episode', () => {
    const steps = run([
      [0, true],
      [60_000, true],
      [70_000, false],
      [80_000, true],
      [90_000, false],
      [119_999, false],
    ]);
    expect(steps.map((t) => t.state)).toEqual(['pending', 'firing', 'firing', 'firing', 'firing', 'firing']);
    expect(new Set(steps.slice(1).map((t) => t.firedAt))).toEqual(new Set([at(60_000)]));
    expect(steps[3].keepFiringSince).toBeNull();
  });

  it('resolves at the first miss without keep-firing-for', () => {
    const steps = run(
      [
        [0, true],
        [60_000, true],
        [70_000, false],
      ],
      { forMs: 60_000, keepFiringForMs: 0 },
    );
    expect(steps[2]).toMatchObject({ state: 'resolved', resolvedAt: at(70_000) });
  });

  it('stays resolved, and starts a new episode when the condition holds again', () => {
    const resolved: AlertTiming = {
      state: 'resolved',
      activeAt: at(0),
      firedAt: at(60_000),
      resolvedAt: at(100_000),
      keepFiringSince: null,
    };
    expect(evaluate(resolved, false, at(110_000), rule)).toBe(resolved);
    expect(evaluate(resolved, true, at(120_000), rule)).toEqual({ ...INACTIVE, state: 'pending', activeAt: at(120_000) });
  });
});
