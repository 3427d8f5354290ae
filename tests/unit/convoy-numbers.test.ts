/**
 * The convoy numbers people read: a wave plan says how many waves of what size (not "5 of
 * 6"), and a simulated landing time is never "0.0 h" for a real, short span.
 */
import { describe, expect, it } from 'vitest';
import { describeWavePlan } from '../../contracts/convoys';
import { formatSpan } from '../../lib/format';

describe('convoy numbers', () => {
  it('describes a wave plan by its waves and their size', () => {
    expect(describeWavePlan(5, 6)).toBe('5 waves of up to 6');
    expect(describeWavePlan(1, 4)).toBe('1 wave of up to 4');
    expect(describeWavePlan(3, null)).toBe('all at once');
  });

  it('writes short spans in seconds and minutes, and never a zero for a real span', () => {
    expect(formatSpan(99_703)).toBe('1 min 40 s');
    expect(formatSpan(42_400)).toBe('42 s');
    expect(formatSpan(400)).toBe('< 1 s');
    expect(formatSpan(0)).toBe('0 s');
    expect(formatSpan(25 * 60_000)).toBe('25 min');
    expect(formatSpan(5_400_000)).toBe('1.5 h');
    for (const ms of [1, 999, 1_000, 59_999, 60_000, 359_999, 3_599_999]) expect(formatSpan(ms)).not.toMatch(/^0/);
  });
});
