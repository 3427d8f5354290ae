/**
 * Escalations: stalls and failures routed up the supervision tree to people. Raised by a
 * role (Refinery, Witness, Deacon) with a severity; acknowledged (who and when) and
 * resolved by operators. Open ones are kept in memory; all are persisted.
 *
 *   state        | acknowledge  | resolve
 *   -------------+--------------+---------
 *   open         | acknowledged | resolved
 *   acknowledged |              | resolved
 *   resolved: final
 *
 * Re-escalation raises the severity of an open one; it is not a change of state.
 */
import type { EngineContext } from './context';
import { IllegalTransition, conflict, notFound } from './errors';
import type { Escalation, EscalationSeverity, EscalationStatus } from '../../contracts/records';
import { makeId } from './random';

const SEVERITIES: EscalationSeverity[] = ['low', 'medium', 'high', 'critical'];

export type EscalationEvent = 'acknowledge' | 'resolve';

/** The escalation lifecycle (the table above). */
export function nextEscalationStatus(status: EscalationStatus, event: EscalationEvent): EscalationStatus {
  switch (event) {
    case 'acknowledge':
      if (status === 'open') return 'acknowledged';
      break;
    case 'resolve':
      if (status !== 'resolved') return 'resolved';
      break;
    default: {
      const never: never = event;
      throw new Error(`unknown escalation event ${String(never)}`);
    }
  }
  throw new IllegalTransition('escalation', status, event);
}

export interface RaiseInput {
  severity: EscalationSeverity;
  source: string;
  reason: string;
  rig?: string | null;
  beadId?: string | null;
  polecatId?: string | null;
  mergeRequestId?: string | null;
}

export class EscalationBook {
  private readonly open = new Map<string, Escalation>();
  /** The last few resolved, so listeners of `escalation.resolved` can still read them. */
  private readonly resolved = new Map<string, Escalation>();

  constructor(
    private readonly ctx: EngineContext,
    initial: Escalation[] = [],
  ) {
    for (const e of initial) this.open.set(e.id, e);
  }

  /** Puts an attached rig's open escalations in memory (one already here is the live one). */
  load(escalations: Escalation[]): void {
    for (const e of escalations) if (!this.open.has(e.id)) this.open.set(e.id, e);
  }

  /** A rig left this node: its open escalations are its next owner's to act on. */
  release(rig: string): void {
    for (const [id, e] of this.open) if (e.rig === rig) this.open.delete(id);
  }

  list(): Escalation[] {
    return [...this.open.values()];
  }

  get(id: string): Escalation | undefined {
    return this.open.get(id);
  }

  recentlyResolved(id: string): Escalation | undefined {
    return this.resolved.get(id);
  }

  raise(input: RaiseInput): Escalation {
    const now = this.ctx.clock.now();
    let id: string;
    do id = makeId('esc', this.ctx.random);
    while (this.open.has(id));
    const escalation: Escalation = {
      id,
      severity: input.severity,
      source: input.source,
      reason: input.reason,
      rig: input.rig ?? null,
      beadId: input.beadId ?? null,
      polecatId: input.polecatId ?? null,
      mergeRequestId: input.mergeRequestId ?? null,
      status: 'open',
      createdAt: now,
      escalatedAt: now,
      acknowledgedBy: null,
      acknowledgedAt: null,
      resolvedBy: null,
      resolvedAt: null,
    };
    this.open.set(id, escalation);
    this.save(escalation);
    this.ctx.emit({
      type: 'escalation.raised',
      at: now,
      escalation: id,
      severity: escalation.severity,
      source: escalation.source,
      reason: escalation.reason,
      rig: escalation.rig,
    });
    return escalation;
  }

  acknowledge(id: string, who: string): Escalation {
    const e = this.open.get(id);
    if (!e) throw notFound('open escalation', id);
    if (e.status === 'acknowledged') throw conflict(`escalation '${id}' was already acknowledged by ${e.acknowledgedBy}`);
    const status = nextEscalationStatus(e.status, 'acknowledge');
    Object.assign(e, { status, acknowledgedBy: who, acknowledgedAt: this.ctx.clock.now() });
    this.save(e);
    this.ctx.emit({ type: 'escalation.acknowledged', at: this.ctx.clock.now(), escalation: id, by: who });
    return e;
  }

  resolve(id: string, who: string): Escalation {
    const e = this.open.get(id);
    if (!e) throw notFound('open escalation', id);
    Object.assign(e, { status: nextEscalationStatus(e.status, 'resolve'), resolvedBy: who, resolvedAt: this.ctx.clock.now() });
    this.open.delete(id);
    this.resolved.set(id, e);
    if (this.resolved.size > 50) this.resolved.delete(this.resolved.keys().next().value!);
    this.save(e);
    this.ctx.emit({ type: 'escalation.resolved', at: this.ctx.clock.now(), escalation: id, by: who });
    return e;
  }

  /** Raises every escalation left unacknowledged for `afterMs` one severity level. */
  reescalate(afterMs: number): Escalation[] {
    const now = this.ctx.clock.now();
    const raised: Escalation[] = [];
    for (const e of this.open.values()) {
      if (e.status !== 'open' || now - e.escalatedAt < afterMs) continue;
      const next = SEVERITIES[SEVERITIES.indexOf(e.severity) + 1];
      if (!next) continue;
      const from = e.severity;
      Object.assign(e, { severity: next, escalatedAt: now });
      this.save(e);
      this.ctx.emit({ type: 'escalation.reescalated', at: now, escalation: e.id, from, to: next });
      raised.push(e);
    }
    return raised;
  }

  private save(e: Escalation): void {
    const copy = { ...e };
    void this.ctx.persistence.write((s) => s.saveEscalation(copy));
  }
}
