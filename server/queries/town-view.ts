/**
 * Read models: what the pages, the JSON API and the CLI show. Plain JSON, derived from
 * the engine on demand; nothing here changes state.
 */
import type { MergeRequest, PolecatState } from '../engine/model';
import type { Town } from '../engine/town';

export interface PolecatView {
  id: string;
  name: string;
  state: PolecatState;
  beadId: string | null;
  beadTitle: string | null;
  stateSince: number;
  lastHeartbeatAt: number | null;
  tokensUsed: number;
}

export interface RigView {
  name: string;
  status: string;
  targetBranch: string;
  refineryWorkers: number;
  refineryBusy: boolean;
  queueDepth: number;
  merged: number;
  conflicts: number;
  reworkedMerged: number;
  polecats: PolecatView[];
  polecatStates: Partial<Record<PolecatState, number>>;
  openBeads: number;
}

export interface TownOverview {
  now: number;
  timeScale: number;
  rigs: RigView[];
  totals: {
    rigs: number;
    polecats: number;
    working: number;
    queueDepth: number;
    merged: number;
    conflicts: number;
    reworkedMerged: number;
    openBeads: number;
  };
}

export function townOverview(town: Town): TownOverview {
  const beads = town.listActiveBeads();
  const rigs: RigView[] = town.listRigs().map((rig) => {
    const polecats = town.listPolecats(rig.name).map((p): PolecatView => ({
      id: p.id,
      name: p.name,
      state: p.state,
      beadId: p.beadId,
      beadTitle: p.beadId ? (town.getActiveBead(p.beadId)?.title ?? null) : null,
      stateSince: p.stateSince,
      lastHeartbeatAt: p.lastHeartbeatAt,
      tokensUsed: p.tokensUsed,
    }));
    const polecatStates: RigView['polecatStates'] = {};
    for (const p of polecats) polecatStates[p.state] = (polecatStates[p.state] ?? 0) + 1;
    return {
      name: rig.name,
      status: rig.status,
      targetBranch: rig.targetBranch,
      refineryWorkers: rig.settings.refineryWorkers,
      refineryBusy: town.refineryBusy(rig.name),
      queueDepth: town.queueDepth(rig.name),
      merged: rig.counters.merged,
      conflicts: rig.counters.conflicts,
      reworkedMerged: rig.counters.reworkedMerged,
      polecats,
      polecatStates,
      openBeads: beads.filter((b) => b.rig === rig.name && b.status === 'open').length,
    };
  });
  const sum = (f: (r: RigView) => number) => rigs.reduce((n, r) => n + f(r), 0);
  return {
    now: town.clock.now(),
    timeScale: town.clock.scale,
    rigs,
    totals: {
      rigs: rigs.length,
      polecats: sum((r) => r.polecats.length),
      working: sum((r) => r.polecats.filter((p) => p.state !== 'idle').length),
      queueDepth: sum((r) => r.queueDepth),
      merged: sum((r) => r.merged),
      conflicts: sum((r) => r.conflicts),
      reworkedMerged: sum((r) => r.reworkedMerged),
      openBeads: sum((r) => r.openBeads),
    },
  };
}

export interface MergeQueueView {
  rig: string;
  position: number;
  id: string;
  bead: string;
  polecat: string;
  status: MergeRequest['status'];
  priority: number;
  attempts: number;
  enqueuedAt: number;
  ageMs: number;
}

/** The merge queue in landing order; across all rigs when `rig` is not given. */
export function mergeQueueView(town: Town, rig?: string): MergeQueueView[] {
  const now = town.clock.now();
  const rigs = rig ? [rig] : town.listRigs().map((r) => r.name);
  return rigs.flatMap((name) =>
    town.mergeQueue(name).map((mr, i) => ({
      rig: name,
      position: i + 1,
      id: mr.id,
      bead: mr.beadId,
      polecat: mr.polecatId,
      status: mr.status,
      priority: mr.priority,
      attempts: mr.attempts,
      enqueuedAt: mr.enqueuedAt,
      ageMs: now - mr.enqueuedAt,
    })),
  );
}
