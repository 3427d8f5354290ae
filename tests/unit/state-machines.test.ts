import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IllegalTransition } from '../../server/engine/errors';
import { nextEscalationStatus, type EscalationEvent } from '../../server/engine/escalations';
import { nextGateStatus, type GateEvent } from '../../server/engine/gate';
import { compareQueueOrder, nextMergeRequestStatus, type MergeRequestEvent } from '../../server/engine/merge-request';
import type { EscalationStatus, Gate, MergeRequest, MergeRequestStatus, PolecatState } from '../../contracts/records';
import { nextPolecatState, type PolecatEvent } from '../../server/engine/polecat';
import { readTransitionTable } from '../support/transition-table';

const ENGINE = path.join(import.meta.dirname, '../../server/engine');

/**
 * Every (state, event) pair of a machine against the table in its module's comment: the
 * table's target where it has one, IllegalTransition where its cell is empty. The state
 * and event lists are the types' members (`satisfies` keeps them complete), so a new
 * state or event the table does not mention fails here.
 */
function checkEveryPair<S extends string, E extends string>(
  module: string,
  states: readonly S[],
  events: readonly E[],
  next: (state: S, event: E) => S,
): void {
  const { table, events: tableEvents } = readTransitionTable(path.join(ENGINE, module));

  it('has a row for every state and a column for every event', () => {
    expect([...table.keys()].sort()).toEqual([...states].sort());
    expect([...tableEvents].sort()).toEqual([...events].sort());
  });

  const pairs = states.flatMap((state) => events.map((event) => [state, event, table.get(state)?.get(event)] as const));
  it.each(pairs)('does what the table says on %s + %s (%s)', (state, event, to) => {
    if (to === undefined) expect(() => next(state, event)).toThrow(IllegalTransition);
    else expect(next(state, event)).toBe(to);
  });
}

describe('the polecat table, pair by pair', () => {
  const states = ['idle', 'working', 'submitted', 'reworking', 'throttled', 'stalled'] as const satisfies readonly PolecatState[];
  const events = [
    'assign',
    'submit',
    'land',
    'conflict',
    'reject',
    'fail',
    'release',
    'stall',
    'resume',
    'throttle',
    'unthrottle',
    'unthrottle-rework',
  ] as const satisfies readonly PolecatEvent[];
  checkEveryPair('polecat.ts', states, events, nextPolecatState);

  it('refuses a failure reported for a submitted polecat: its agent session already ended', () => {
    expect(() => nextPolecatState('submitted', 'fail')).toThrow(IllegalTransition);
  });
});

describe('the merge request table, pair by pair', () => {
  const states = [
    'queued',
    'merging',
    'merged',
    'conflicted',
    'rejected',
    'escalated',
    'abandoned',
  ] as const satisfies readonly MergeRequestStatus[];
  const events = [
    'claim',
    'land',
    'conflict',
    'reject',
    'requeue',
    'resubmit',
    'escalate',
    'abandon',
  ] as const satisfies readonly MergeRequestEvent[];
  checkEveryPair('merge-request.ts', states, events, nextMergeRequestStatus);
});

describe('the gate table, pair by pair', () => {
  const states = ['waiting', 'open', 'cancelled'] as const satisfies readonly Gate['status'][];
  const events = ['open', 'cancel'] as const satisfies readonly GateEvent[];
  checkEveryPair('gate.ts', states, events, nextGateStatus);
});

describe('the escalation table, pair by pair', () => {
  const states = ['open', 'acknowledged', 'resolved'] as const satisfies readonly EscalationStatus[];
  const events = ['acknowledge', 'resolve'] as const satisfies readonly EscalationEvent[];
  checkEveryPair('escalations.ts', states, events, nextEscalationStatus);
});

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
