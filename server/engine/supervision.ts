/**
 * The supervision tree, wired: a Witness per rig watching its polecats, the Deacon
 * patrolling the rigs in tiers, gates released by both, escalations raised, climbed and
 * re-escalated when nobody acknowledges them. Also the operator's levers on it: park and
 * unpark a rig, pin its tier or Witness interval, restart a polecat, inject failures.
 */
import type { EngineContext } from './context';
import { Deacon } from './deacon';
import type { DeaconStatus } from '../../contracts/town';
import { conflict, invalid } from './errors';
import type { EscalationBook } from './escalations';
import type { GateBook } from './gate';
import type { PatrolTier, Polecat, PolecatHealth, Rig, TownSettings } from '../../contracts/records';
import type { PolecatWork } from './polecat-work';
import type { InjectedFailure } from './ports';
import type { RigRuntime, TownRecords } from './records';
import { Witness } from './witness';

export const DEFAULT_TOWN_SETTINGS: TownSettings = {
  deaconMode: 'tiered',
  tierIntervalsMs: { hot: 30_000, warm: 120_000, cold: 600_000 },
  // About what the seed's numbers imply for one rig's patrol: ~30 s for 3 rigs in a row.
  rigPatrolMs: 10_000,
  coldPatrolMs: 2_000,
  gateFastPath: true,
  reescalateAfterMs: 4 * 3_600_000,
  providers: {},
  dailyBudgetUsd: null,
  budgetAlertUsd: null,
  // About what ten healthy polecats spend on a bead each, burned without a single edit.
  retryLoopTokens: 150_000,
};

export class Supervision {
  readonly deacon: Deacon;

  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly work: PolecatWork,
    private readonly gates: GateBook,
    private readonly escalations: EscalationBook,
    private readonly settings: () => TownSettings,
  ) {
    this.deacon = new Deacon(ctx, {
      settings,
      rigs: () => [...records.rigs.values()].map((rt) => rt.rig),
      tierOf: (rig) => this.tierOf(rig),
      patrolRig: (rig, tier) => this.patrolRig(rig, tier),
      endOfCycle: () => this.escalations.reescalate(this.settings().reescalateAfterMs),
      gateLatencies: (since) => gates.recentLatencies(since),
    });
  }

  /** A Witness for a rig; the Town attaches one per rig. */
  witnessFor(rig: Rig): Witness {
    return new Witness(this.ctx, rig, {
      polecats: () => this.records.polecatsOf(rig.name),
      agent: (id) => this.work.agent(id),
      restart: (p, by) => this.work.restart(p, by),
      escalate: (p, kind, idleMs) => this.escalateStall(p, kind, idleMs),
      setHealth: (p, health, strikes) => {
        Object.assign(p, { health, strikes });
        this.records.savePolecat(p);
      },
    });
  }

  start(): void {
    for (const rt of this.records.rigs.values()) rt.witness.start();
    this.deacon.start();
  }

  stop(): void {
    for (const rt of this.records.rigs.values()) rt.witness.stop();
    this.deacon.stop();
  }

  status(): DeaconStatus {
    return this.deacon.status();
  }

  /** Hot: polecats at work; warm: active but idle; cold: parked. An operator's pin wins. */
  tierOf(rig: Rig): PatrolTier {
    if (rig.settings.tier !== 'auto') return rig.settings.tier;
    if (rig.status === 'parked') return 'cold';
    return this.records.polecatsOf(rig.name).some((p) => p.state !== 'idle') ? 'hot' : 'warm';
  }

  /** A rig's patrol proper: gates, Refinery and Witness health, stale claims. */
  private patrolRig(rig: Rig, tier: PatrolTier): { findings: string[]; gatesOpened: number } {
    const rt = this.records.rig(rig.name);
    const findings = [...rt.refinery.health()];
    const now = this.ctx.clock.now();
    const witnessDue = rt.witness.intervalMs * 2;
    if (rt.witness.lastPatrolAt !== null && now - rt.witness.lastPatrolAt > witnessDue) {
      findings.push(`witness overdue by ${Math.round((now - rt.witness.lastPatrolAt) / 1000)} s: restarted`);
      rt.witness.reschedule();
    }
    if (tier === 'cold') return { findings, gatesOpened: 0 }; // parked: health check only
    const opened = this.gates.evaluate('deacon', rig.name);
    if (opened.length > 0) this.work.scheduleDispatch();
    for (const bead of this.records.beads.values()) {
      if (bead.rig !== rig.name || (bead.status !== 'hooked' && bead.status !== 'in_progress')) continue;
      const holder = bead.assignee ? this.records.polecats.get(bead.assignee) : undefined;
      if (holder?.beadId === bead.id) continue;
      this.records.setBeadStatus(bead, 'open', { assignee: null });
      findings.push(`stale claim on ${bead.id} returned to the pool`);
      this.work.scheduleDispatch();
    }
    return { findings, gatesOpened: opened.length };
  }

  /** Top of the Witness's ladder: the polecat waits, work kept, for a person. */
  private escalateStall(p: Polecat, kind: Exclude<PolecatHealth, 'ok'>, idleMs: number): void {
    this.work.agent(p.id)?.cancel();
    if (p.state === 'working' || p.state === 'reworking') this.records.movePolecat(p, 'stall');
    this.escalations.raise({
      severity: kind === 'zombie' ? 'high' : 'medium',
      source: 'witness',
      reason: `${p.id} ${kind} for ${Math.round(idleMs / 60_000)} min after nudge and restart`,
      rig: p.rig,
      beadId: p.beadId,
      polecatId: p.id,
    });
  }

  // ------------------------------------------------------------------ operator levers

  park(rigName: string, by: string): Rig {
    return this.setStatus(this.records.rig(rigName), 'parked', by);
  }

  unpark(rigName: string, by: string): Rig {
    const rig = this.setStatus(this.records.rig(rigName), 'active', by);
    this.work.scheduleDispatch();
    return rig;
  }

  private setStatus(rt: RigRuntime, to: 'active' | 'parked', by: string): Rig {
    const from = rt.rig.status;
    if (from === 'retired') throw conflict(`rig '${rt.rig.name}' is retired`);
    if (from === to) throw conflict(`rig '${rt.rig.name}' is already ${to}`);
    rt.rig.status = to;
    this.records.saveRig(rt.rig);
    this.ctx.emit({ type: 'rig.status_changed', at: this.ctx.clock.now(), rig: rt.rig.name, from, to, by });
    return rt.rig;
  }

  restartPolecat(polecatId: string, by: string): Polecat {
    const p = this.records.polecat(polecatId);
    if (!p.beadId) throw conflict(`polecat '${polecatId}' has no bead to work on`);
    Object.assign(p, { health: 'ok', strikes: 0 });
    this.work.restart(p, by);
    return p;
  }

  nudgePolecat(polecatId: string): Polecat {
    const p = this.records.polecat(polecatId);
    const agent = this.work.agent(p.id);
    if (!agent) throw conflict(`polecat '${polecatId}' is not running an agent`);
    agent.nudge();
    return p;
  }

  injectFailure(polecatId: string, failure: InjectedFailure, sticky: boolean): void {
    const p = this.records.polecat(polecatId);
    if (!this.ctx.agents.inject) throw invalid("this rig's agent runtime cannot simulate failures");
    this.ctx.agents.inject(p.id, failure, sticky);
    this.ctx.emit({ type: 'polecat.failure_injected', at: this.ctx.clock.now(), rig: p.rig, polecat: p.id, failure, sticky });
  }
}
