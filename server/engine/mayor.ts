/**
 * The Mayor: turns ready beads into assignments to idle polecats, and carries them out.
 * A bead is ready when it is open, not held (by a waiting gate or an undispatched
 * convoy wave) and every bead it depends on is done. Order: priority (0 first), then age.
 *
 * The Mayor is woken by the events that can make work or a polecat available (a bead
 * created or returned to the pool, a dependency finished, a polecat idle or added, a gate
 * opened, a convoy dispatched, a rig unparked or re-tuned); a burst of them is coalesced
 * into one dispatch pass. It measures its own cost: the seed's "coordination overhead".
 */
import type { EngineContext } from './context';
import { EngineError, conflict, notFound } from './errors';
import type { Convoys } from './convoys';
import type { DomainEvent } from '../../contracts/events';
import type { GateBook } from './gate';
import type { Bead, Polecat, Rig } from '../../contracts/records';
import type { AgentSessions } from './agent-sessions';
import type { TownRecords } from './records';
import type { Waves } from './waves';

export interface Assignment {
  bead: Bead;
  polecat: Polecat;
}

export interface DispatchView {
  rigs: Rig[];
  beads: Iterable<Bead>;
  idlePolecats(rig: string): Polecat[];
  /** Status of a bead by id; undefined when it is no longer in play (done). */
  beadStatus(id: string): Bead['status'] | undefined;
}

export function isReady(bead: Bead, view: Pick<DispatchView, 'beadStatus'>): boolean {
  if (bead.status !== 'open') return false;
  return bead.dependsOn.every((dep) => {
    const status = view.beadStatus(dep);
    return status === undefined || status === 'done' || status === 'closed';
  });
}

/** The Mayor's choice, pure: which ready bead goes to which idle polecat. */
export function planDispatch(view: DispatchView): Assignment[] {
  const assignments: Assignment[] = [];
  const ready = [...view.beads]
    .filter((b) => isReady(b, view))
    .sort((a, b) => a.priority - b.priority || a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  const active = new Set(view.rigs.filter((r) => r.status === 'active').map((r) => r.name));
  // Idle polecats are listed only for rigs that have a ready bead: a town of a hundred
  // rigs dispatches after every landing, and most rigs have nothing to hand out.
  const idleByRig = new Map<string, Polecat[]>();
  for (const bead of ready) {
    if (!active.has(bead.rig)) continue;
    let idle = idleByRig.get(bead.rig);
    if (!idle) idleByRig.set(bead.rig, (idle = [...view.idlePolecats(bead.rig)]));
    const polecat = idle.shift();
    if (polecat) assignments.push({ bead, polecat });
  }
  return assignments;
}

/** What the Mayor's dispatch costs: the seed's "coordination overhead". */
export interface MayorStats {
  passes: number;
  assignments: number;
  /** Real ms per dispatch decision (planning one pass). */
  decisionMs: { last: number | null; mean: number | null };
  assignmentsLastMinute: number;
}

/** Whether an event may have made a bead dispatchable or a polecat free. */
function wakesTheMayor(event: DomainEvent): boolean {
  switch (event.type) {
    case 'bead.created':
    case 'polecat.added':
    case 'gate.opened':
    case 'convoy.dispatched':
    case 'convoy.restaggered':
    case 'convoy.changed':
    case 'rig.settings_changed':
    case 'rig.attached':
      return true;
    case 'bead.status_changed':
      return event.to === 'open' || event.to === 'done' || event.to === 'closed';
    case 'polecat.state_changed':
      return event.to === 'idle';
    case 'rig.status_changed':
      return event.to === 'active';
    default:
      return false;
  }
}

export class Mayor {
  private pending = false;
  private running = false;
  /** When the Mayor has a timer set to look at backing-off beads again. */
  private wakeAt: number | null = null;
  private readonly cost = {
    passes: 0,
    assignments: 0,
    decisionMsTotal: 0,
    lastDecisionMs: null as number | null,
    recent: [] as number[],
  };

  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly gates: GateBook,
    private readonly convoys: Convoys,
    private readonly waves: Waves,
    private readonly sessions: AgentSessions,
  ) {
    ctx.bus.subscribe((event) => {
      if (wakesTheMayor(event)) this.scheduleDispatch();
    });
  }

  start(): void {
    this.running = true;
    this.scheduleDispatch();
  }

  stop(): void {
    this.running = false;
  }

  /** Asks for a dispatch pass soon; a zero-delay timer coalesces a burst of asks into one. */
  scheduleDispatch(): void {
    if (this.pending || !this.running) return;
    this.pending = true;
    this.ctx.clock.setTimer(0, () => {
      this.pending = false;
      if (this.running) this.dispatch();
    });
  }

  /** What dispatch has cost so far. */
  stats(): MayorStats {
    const since = this.ctx.clock.now() - 60_000;
    this.cost.recent = this.cost.recent.filter((at) => at >= since);
    return {
      passes: this.cost.passes,
      assignments: this.cost.assignments,
      decisionMs: {
        last: this.cost.lastDecisionMs,
        mean: this.cost.passes ? this.cost.decisionMsTotal / this.cost.passes : null,
      },
      assignmentsLastMinute: this.cost.recent.length,
    };
  }

  /**
   * Whether a bead is waiting out the backoff after a failed agent attempt; the Mayor
   * wakes itself when the earliest such wait ends (no event marks it).
   */
  private backingOff(bead: Bead): boolean {
    const until = this.sessions.notBefore(bead.id);
    if (until === undefined) return false;
    if (this.wakeAt === null || until < this.wakeAt) {
      this.wakeAt = until;
      this.ctx.clock.setTimer(until - this.ctx.clock.now(), () => {
        if (this.wakeAt === until) this.wakeAt = null;
        this.scheduleDispatch();
      });
    }
    return true;
  }

  private isHeld(bead: Bead): boolean {
    return this.gates.isHeld(bead.id) || this.convoys.isHeld(bead);
  }

  private dispatch(): void {
    const { records } = this;
    const started = performance.now(); // real time on purpose: the Mayor's own cost
    const assignments = planDispatch({
      rigs: [...records.rigs.values()].filter((rt) => !rt.detaching).map((rt) => rt.rig),
      // Only open beads can be assigned: asking the gates about the rest is wasted work
      // (most beads in play are being worked on).
      beads: [...records.beads.values()].filter((b) => b.status === 'open' && !this.isHeld(b) && !this.backingOff(b)),
      idlePolecats: (rig) => this.dispatchable(rig),
      beadStatus: (id) => records.beadStatus(id),
    });
    const decisionMs = performance.now() - started;
    const now = this.ctx.clock.now();
    Object.assign(this.cost, {
      passes: this.cost.passes + 1,
      assignments: this.cost.assignments + assignments.length,
      decisionMsTotal: this.cost.decisionMsTotal + decisionMs,
      lastDecisionMs: decisionMs,
    });
    for (const { bead, polecat } of assignments) this.assign(bead, polecat);
    if (assignments.length > 0) this.ctx.emit({ type: 'mayor.dispatched', at: now, assignments: assignments.length, decisionMs });
  }

  private assign(bead: Bead, polecat: Polecat): void {
    this.cost.recent.push(this.ctx.clock.now());
    this.records.setBeadStatus(bead, 'hooked', { assignee: polecat.id });
    this.records.movePolecat(polecat, 'assign', { beadId: bead.id });
    this.waves.beadEvent(bead.id, 'hooked');
    this.ctx.track(this.sessions.begin(polecat, bead, 'fresh', true), `work on ${bead.id}`);
  }

  /**
   * Dispatches one ready bead now (`gt sling`), ahead of the queue: to the named polecat
   * (idle), or to an idle polecat of the named rig; a bead of another rig moves to it.
   * Refused when the bead is not open, waits on a dependency, a gate or its convoy, or
   * no polecat is free.
   */
  sling(beadId: string, target: { rig: string } | { polecat: string }): Assignment {
    if (!this.running) throw new EngineError('unavailable', 'the town is not running');
    const bead = this.records.beads.get(beadId);
    if (!bead) throw notFound('open bead', beadId);
    if (!isReady(bead, { beadStatus: (id) => this.records.beadStatus(id) }))
      throw conflict(`bead '${beadId}' is not ready (${bead.status === 'open' ? 'it waits on a dependency' : bead.status})`);
    if (this.isHeld(bead)) throw conflict(`bead '${beadId}' is held by a gate or its convoy's wave`);
    const rig = 'rig' in target ? target.rig : this.records.polecat(target.polecat).rig;
    const rt = this.records.rig(rig);
    if (rt.detaching || rt.rig.status !== 'active')
      throw conflict(`rig '${rig}' is ${rt.detaching ? 'being detached' : rt.rig.status}`);
    const idle = this.dispatchable(rig);
    const polecat = 'polecat' in target ? idle.find((p) => p.id === target.polecat) : idle[0];
    if (!polecat)
      throw conflict('polecat' in target ? `polecat '${target.polecat}' is not idle` : `rig '${rig}' has no idle polecat`);
    if (bead.rig !== rig) this.records.setBeadStatus(bead, bead.status, { rig });
    this.assign(bead, polecat);
    return { bead, polecat };
  }

  /** Idle polecats the Mayor may hand a bead: no more than the rig has free agent slots. */
  private dispatchable(rig: string): Polecat[] {
    const polecats = this.records.polecatsOf(rig);
    const idle = polecats.filter((p) => p.state === 'idle');
    const max = this.records.rig(rig).rig.settings.maxConcurrency;
    if (max === null) return idle;
    const busy = polecats.filter((p) => p.state === 'working' || p.state === 'reworking' || p.state === 'throttled').length;
    return idle.slice(0, Math.max(0, max - busy));
  }
}
