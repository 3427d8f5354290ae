import { describe, expect, it } from 'vitest';
import { IllegalTransition } from '../../server/engine/errors';
import { compareQueueOrder, nextMergeRequestStatus } from '../../server/engine/merge-request';
import type { MergeRequest } from '../../contracts/records';
import { nextPolecatState } from '../../server/engine/polecat';

describe('polecat lifecycle', () => {
  it.each([
    ['idle', 'assign', 'working'],
    ['working', 'submit', 'submitted'],
    ['submitted', 'land', 'idle'],
    ['submitted', 'conflict', 'reworking'],
    ['reworking', 'submit', 'submitted'],
    ['working', 'fail', 'idle'],
    ['stalled', 'release', 'idle'],
  ] as const)('moves from %s on %s to %s', (from, event, to) => {
    expect(nextPolecatState(from, event)).toBe(to);
  });

  it.each([
    ['working', 'assign'],
    ['idle', 'submit'],
    ['working', 'land'],
    ['idle', 'fail'],
  ] as const)('refuses %s on %s with a typed error', (from, event) => {
    expect(() => nextPolecatState(from, event)).toThrow(IllegalTransition);
  });
});

describe('merge request lifecycle', () => {
  it.each([
    ['queued', 'claim', 'merging'],
    ['merging', 'land', 'merged'],
    ['merging', 'conflict', 'conflicted'],
    ['merging', 'requeue', 'queued'],
    ['conflicted', 'resubmit', 'queued'],
    ['conflicted', 'abandon', 'abandoned'],
  ] as const)('moves from %s on %s to %s', (from, event, to) => {
    expect(nextMergeRequestStatus(from, event)).toBe(to);
  });

  it('never lands a request twice', () => {
    expect(() => nextMergeRequestStatus('merged', 'land')).toThrow(IllegalTransition);
    expect(() => nextMergeRequestStatus('queued', 'land')).toThrow(IllegalTransition);
  });

  it('orders the queue by priority, then by age', () => {
    const mr = (id: string, priority: number, enqueuedAt: number) => ({ id, priority, enqueuedAt }) as MergeRequest;
    const sorted = [mr('c', 2, 1), mr('a', 0, 5), mr('b', 2, 0)].sort(compareQueueOrder).map((m) => m.id);
    expect(sorted).toEqual(['a', 'b', 'c']);
  });
});
