/**
 * The supervision tree, wired: a Witness per rig watching its polecats (built here, started
 * and stopped with its rig's runtime), the Deacon patrolling the rigs in tiers, gates
 * released by both, escalations raised, climbed and re-escalated when nobody acknowledges
 * them. Also the operator's levers on it: park and unpark a rig, restart or nudge a
 * polecat, inject failures; and what the pages ask: tiers, the Deacon's and Witnesses' status.
 */
import type { EngineContext } from './context';
import { Deacon } from './deacon';
import type { DeaconStatus } from '../../contracts/town';
import { conflict, invalid } from './errors';
import type { EscalationBook } from './escalations';
import type { GateBook } from './gate';
import type { AgentSessions } from './agent-sessions';
import type { PatrolTier, Polecat, PolecatHealth, PolecatState, Rig } from '../../contracts/records';
import type { InjectedFailure } from './ports';
import type { RigRuntime, TownRecords } from './records';
import type { TownSettingsBook } from './settings';
import { Witness } from './witness';

/** States in which a polecat runs no agent, so no Witness flag can hold. */
const NO_AGENT: ReadonlySet<PolecatState> = new Set(['idle', 'submitted', 'throttled']);

export class Supervision {
  private readonly deacon: Deacon;
  private running = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly work: AgentSessions,
    private readonly gates: GateBook,
    private readonly escalations: EscalationBook,
    settings: TownSettingsBook,
  ) {
    this.deacon = new Deacon(ctx, {
      settings: () => settings.current,
      rigs: () => [...records.rigs.values()].filter((rt) => !rt.detaching).map((rt) => rt.rig),
      tierOf: (rig) => this.tierOf(rig),
      patrolRig: (rig, tier) => this.patrolRig(rig, tier),
      endOfCycle: () => this.escalations.reescalate(settings.current.reescalateAfterMs),
      gateLatencies: (since) => gates.recentLatencies(since),
    });
    // New cadences take effect at once.
    ctx.bus.subscribe((event) => {
      if (event.type === 'town.settings_changed' && this.running) this.deacon.restart();
      // A Witness flag is about a running agent: it clears the moment none should be running.
      if (event.type === 'polecat.state_changed' && NO_AGENT.has(event.to)) {
        const p = records.polecats.get(event.polecat);
        const rt = records.rigs.get(event.rig);
        if (p && rt) rt.witness.clear(p);
      }
    });
  }

  /** A Witness for a rig; its rig's runtime starts and stops it (rig-runtimes.ts). */
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

  /** Starts the Deacon's patrols. */
  start(): void {
    this.running = true;
    this.deacon.start();
  }

  stop(): void {
    this.running = false;
    this.deacon.stop();
  }

  /** The Deacon's loops: cadence, last cycle, gate latency. */
  deaconStatus(): DeaconStatus {
    return this.deacon.status();
  }

  /** A rig's effective patrol tier. */
  tier(rigName: string): PatrolTier {
    return this.tierOf(this.records.rig(rigName).rig);
  }

  witnessStatus(rigName: string): { intervalMs: number; lastPatrolAt: number | null; nextPatrolAt: number | null } {
    const { witness } = this.records.rig(rigName);
    return { intervalMs: witness.intervalMs, lastPatrolAt: witness.lastPatrolAt, nextPatrolAt: witness.dueAt };
  }

  /** Hot: polecats at work; warm: active but idle; cold: parked. An operator's pin wins. */
  private tierOf(rig: Rig): PatrolTier {
    if (rig.settings.tier !== 'auto') return rig.settings.tier;
    if (rig.status === 'parked') return 'cold';
    return this.records.polecatsOf(rig.name).some((p) => p.state !== 'idle') ? 'hot' : 'warm';
  }

  /** A rig's patrol proper: gates, Refinery and Witness health, stale claims. */
  private patrolRig(rig: Rig, tier: PatrolTier): { findings: string[]; gatesOpened: number } {
    const rt = this.records.rigs.get(rig.name);
    if (!rt || rt.detaching) return { findings: [], gatesOpened: 0 }; // detached while its patrol ran
    const findings = [...rt.refinery.health()];
    const now = this.ctx.clock.now();
    const witnessDue = rt.witness.intervalMs * 2;
    if (rt.witness.lastPatrolAt !== null && now - rt.witness.lastPatrolAt > witnessDue) {
      findings.push(`witness overdue by ${Math.round((now - rt.witness.lastPatrolAt) / 1000)} s: restarted`);
      rt.witness.reschedule();
    }
    if (tier === 'cold') return { findings, gatesOpened: 0 }; // parked: health check only
    const opened = this.gates.evaluate('deacon', rig.name);
    for (const bead of this.records.beads.values()) {
      if (bead.rig !== rig.name || (bead.status !== 'hooked' && bead.status !== 'in_progress')) continue;
      const holder = bead.assignee ? this.records.polecats.get(bead.assignee) : undefined;
      if (holder?.beadId === bead.id) continue;
      this.records.setBeadStatus(bead, 'open', { assignee: null });
      findings.push(`stale claim on ${bead.id} returned to the pool`);
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
    return this.setStatus(this.records.rig(rigName), 'active', by);
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

  /**
   * Simulates a failure. A one-off failure needs a live session to act on: without one it is
   * refused (409), never reported done. A sticky one is kept for its next sessions too.
   * @returns when the failure acts: now, or at the polecat's next session.
   */
  injectFailure(polecatId: string, failure: InjectedFailure, sticky = false): { appliesTo: 'current session' | 'next session' } {
    const p = this.records.polecat(polecatId);
    if (!this.ctx.agents.inject) throw invalid("this rig's agent runtime cannot simulate failures");
    const live = this.work.agent(p.id)?.alive() === true;
    // The runtime refuses first (an external agent cannot fake failures); a one-off failure
    // with no session to act on changes nothing there, and is refused here.
    this.ctx.agents.inject(p.id, failure, sticky);
    if (!live && !sticky)
      throw conflict(
        `polecat '${polecatId}' has no live agent session (it is ${p.state}): nothing to ${failure}; inject a sticky failure to catch its next session`,
      );
    this.ctx.emit({ type: 'polecat.failure_injected', at: this.ctx.clock.now(), rig: p.rig, polecat: p.id, failure, sticky });
    return { appliesTo: live ? 'current session' : 'next session' };
  }
}
