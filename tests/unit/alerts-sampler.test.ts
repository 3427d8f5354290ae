/**
 * What the unresponsive-agent rule watches: the silence of polecats whose agent runs. A
 * polecat that just took a new bead after a long wait in the merge queue is not silent
 * (its last heartbeat is from its previous bead); a submitted or throttled polecat owes no
 * heartbeats; a working one that stopped beating is.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@/server/engine/clock';
import type { Polecat } from '@/contracts/records';
import type { Town } from '@/server/engine/town';
import { MetricsSampler } from '@/server/metrics/sampler';

const MIN = 60_000;

function polecat(over: Partial<Polecat>): Polecat {
  return {
    id: `r/${over.name}`,
    rig: 'r',
    name: 'x',
    state: 'working',
    beadId: 'gt-1',
    branch: 'polecat/x',
    worktreePath: '/tmp/x',
    lastHeartbeatAt: null,
    lastProgressAt: null,
    stateSince: 0,
    tokensUsed: 0,
    health: 'ok',
    strikes: 0,
    ...over,
  };
}

/** Just enough of a Town for the sampler to read one rig. */
function fakeTown(clock: VirtualClock, polecats: Polecat[]): Town {
  const rate = { rate: null, count: 0, sample: 0, enough: false };
  const stats = {
    conflictRate: rate,
    checkFailureRate: rate,
    mergesPerHour: null,
    landed: 0,
    observedMs: 1,
    windowMs: 3_600_000,
  };
  return {
    clock,
    bus: { subscribe: () => () => {} },
    rigs: {
      list: () => [{ name: 'r', status: 'active', settings: { refineryWorkers: 1 } }],
      get: () => ({ name: 'r', settings: { refineryWorkers: 1 } }),
      refineryStats: () => stats,
      queueDepth: () => 0,
      busyWorkers: () => 0,
    },
    polecats: { list: () => polecats },
    supervision: {
      witnessStatus: () => ({ intervalMs: 5 * MIN, lastPatrolAt: null }),
      deaconStatus: () => ({ lastPatrolDurationMs: null }),
    },
    gates: { recentLatencies: () => [], list: () => [], readyAt: () => null },
    costs: { todaySpend: () => ({ day: '', costUsd: 0, tokens: 0, unpricedTokens: 0 }) },
    settings: { budgetAlertUsd: null, dailyBudgetUsd: null },
  } as unknown as Town;
}

describe('the silence the unresponsive rule watches', () => {
  it('counts only polecats whose agent runs, from their last sign of life in their current state', () => {
    const clock = new VirtualClock(100 * MIN);
    const now = clock.now();
    const town = fakeTown(clock, [
      // Took a new bead a minute ago after 20 minutes in the merge queue: its last beat is old, but it is not silent.
      polecat({ name: 'fresh', state: 'working', lastHeartbeatAt: now - 21 * MIN, stateSince: now - MIN }),
      // Waiting on the Refinery or the API provider: owes no heartbeats.
      polecat({ name: 'queued', state: 'submitted', lastHeartbeatAt: now - 40 * MIN, stateSince: now - 40 * MIN }),
      polecat({ name: 'waiting', state: 'throttled', lastHeartbeatAt: now - 30 * MIN, stateSince: now - 30 * MIN }),
      // Silent for 16 minutes while working: unresponsive.
      polecat({ name: 'hung', state: 'reworking', lastHeartbeatAt: now - 16 * MIN, stateSince: now - 25 * MIN }),
    ]);
    const rig = new MetricsSampler({ town }).sample().rigs.r;
    expect(rig.polecat_max_silence).toBe(16 * 60);
    expect(rig.polecats_unresponsive).toBe(1);
    expect(rig.polecats_working).toBe(4);
    expect(rig.polecats_throttled).toBe(1);
  });

  it('reports no silence (null, not zero) when no agent runs', () => {
    const clock = new VirtualClock();
    const town = fakeTown(clock, [polecat({ name: 'idle', state: 'idle', beadId: null })]);
    expect(new MetricsSampler({ town }).sample().rigs.r.polecat_max_silence).toBeNull();
  });
});
