/**
 * The alert state machine, row by row of its table (server/alerts/state.ts): Prometheus's
 * pending -> firing -> resolved with `for` and keep-firing-for, on explicit times.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
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

/**
 * The table in state.ts's comment, row by row: each row's `when` is turned into an input
 * that meets it, and the result must be the row's `next`. A row this test cannot read
 * fails it, so the table and the code cannot drift apart.
 */
describe('the alert table in state.ts, row by row', () => {
  const source = readFileSync(path.join(import.meta.dirname, '../../server/alerts/state.ts'), 'utf8');
  const rows = source
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trim())
    .filter((line) => line.startsWith('|') && !line.startsWith('| state') && !line.startsWith('|--'))
    .map((line) => {
      const [state, holds, when, next] = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      return { state: state as AlertTiming['state'], holds: holds === 'yes', when, next: next.split(/\s+/)[0] };
    });

  const t0 = at(0);
  const base = { ...INACTIVE, activeAt: t0 };
  const firing = { ...base, state: 'firing' as const, firedAt: t0 };
  /** An input meeting the row's condition: the timing, the time of the evaluation and the rule. */
  function input(state: AlertTiming['state'], holds: boolean, when: string): [AlertTiming, number, typeof rule] {
    const key = `${state} ${holds ? 'yes' : 'no'} ${when}`.trim();
    switch (key) {
      case 'inactive no':
      case 'inactive yes for > 0':
        return [INACTIVE, t0, rule];
      case 'inactive yes for = 0':
        return [INACTIVE, t0, { forMs: 0, keepFiringForMs: 0 }];
      case 'pending yes now - activeAt >= for':
        return [{ ...base, state: 'pending' }, t0 + rule.forMs, rule];
      case 'pending yes otherwise':
        return [{ ...base, state: 'pending' }, t0 + rule.forMs - 1, rule];
      case 'pending no':
        return [{ ...base, state: 'pending' }, t0 + 1, rule];
      case 'firing yes':
        return [{ ...firing, keepFiringSince: t0 + 5 }, t0 + 10, rule];
      case 'firing no now - keepFiringSince < keepFiringFor':
        return [{ ...firing, keepFiringSince: t0 }, t0 + rule.keepFiringForMs - 1, rule];
      case 'firing no otherwise':
        return [{ ...firing, keepFiringSince: t0 }, t0 + rule.keepFiringForMs, rule];
      case 'resolved no':
      case 'resolved yes':
        return [{ ...firing, state: 'resolved', resolvedAt: t0 + 1 }, t0 + 2, rule];
      default:
        throw new Error(`no input for the table row "${key}": teach this test the new row`);
    }
  }

  it('has all eleven rows', () => expect(rows).toHaveLength(11));

  it.each(rows)('goes from $state (holds: $holds, when: $when) to $next', ({ state, holds, when, next }) => {
    const [timing, now, r] = input(state, holds, when);
    // "as inactive": a resolved alert whose condition holds again starts a new episode.
    const expected = next === 'as' ? evaluate(INACTIVE, true, now, r).state : next;
    const result = evaluate(timing, holds, now, r);
    expect(result.state).toBe(expected);
    if (state === 'resolved' && holds) expect(result.activeAt).toBe(now);
  });
});
