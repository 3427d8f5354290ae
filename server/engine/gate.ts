/**
 * Gates: conditions that hold work (beads) until they open: a timer, the merges of a set
 * of beads having landed (waves), beads closed, or a person's approval. A gate opens on
 * an event-driven fast path the moment its condition holds (when enabled), and the
 * Deacon's patrol evaluates it as the backstop. Its latency, from the moment it could
 * open to the moment it did, is what the seed's "gate evaluation latency" measures.
 *
 *   state   | open | cancel
 *   --------+------+----------
 *   waiting | open | cancelled
 *   open, cancelled: final
 */
import type { EngineContext } from './context';
import { IllegalTransition, conflict, invalid, notFound } from './errors';
import type { Gate, GateKind } from '../../contracts/records';
import { makeId } from './random';
import type { TownSettingsBook } from './settings';

export type GateEvent = 'open' | 'cancel';

/** The gate lifecycle (the table above): only a waiting gate moves, and only once. */
export function nextGateStatus(status: Gate['status'], event: GateEvent): Gate['status'] {
  if (status === 'waiting') {
    switch (event) {
      case 'open':
        return 'open';
      case 'cancel':
        return 'cancelled';
      default: {
        const never: never = event;
        throw new Error(`unknown gate event ${String(never)}`);
      }
    }
  }
  throw new IllegalTransition('gate', status, event);
}

export interface GateInput {
  kind: GateKind;
  title: string;
  holds: string[];
  until?: number | null;
  beads?: string[];
  rig?: string | null;
  convoyId?: string | null;
}

/** How the book learns about beads: finished (done or closed) and when, if known. */
export interface BeadLookup {
  /** Engine time the bead finished; undefined while it is still open. Null: finished, time unknown. */
  finishedAt(beadId: string): number | null | undefined;
  /** Whether the bead landed through a merge (done) rather than being closed. */
  landed(beadId: string): boolean;
  /** Whether the bead is in play (on an attached rig). */
  inPlay(beadId: string): boolean;
  /** Throws not_found for an unknown rig. */
  rig(name: string): unknown;
}

export class GateBook {
  private readonly waiting = new Map<string, Gate>();
  /** Beads held by waiting gates -> how many gates hold them. */
  private readonly held = new Map<string, number>();
  /** Recent opening latencies (bounded), for the Deacon's gate-evaluation metric. */
  private readonly latencies: Array<{ at: number; ms: number; kind: GateKind }> = [];

  constructor(
    private readonly ctx: EngineContext,
    private readonly beads: BeadLookup,
    private readonly settings: TownSettingsBook,
    initial: Gate[] = [],
  ) {
    for (const g of initial) if (g.status === 'waiting') this.track(g);
  }

  list(): Gate[] {
    return [...this.waiting.values()];
  }

  get(id: string): Gate | undefined {
    return this.waiting.get(id);
  }

  /** Opening latencies of gates opened since `since` (engine ms). */
  recentLatencies(since: number): number[] {
    return this.latencies.filter((l) => l.at >= since).map((l) => l.ms);
  }

  isHeld(beadId: string): boolean {
    return (this.held.get(beadId) ?? 0) > 0;
  }

  /**
   * An operator's gate: the beads it holds and waits for must be in play, its rig known.
   * A timer gate is opened on time by the fast path (the Deacon's patrol is the backstop).
   */
  create(input: GateInput): Gate {
    for (const id of [...input.holds, ...(input.beads ?? [])]) {
      if (!this.beads.inPlay(id)) throw invalid(`bead '${id}' is not in play`);
    }
    if (input.rig != null) this.beads.rig(input.rig);
    const gate = this.hold(input);
    if (gate.kind === 'timer' && gate.until !== null && this.settings.current.gateFastPath) {
      this.ctx.clock.setTimer(Math.max(0, gate.until - this.ctx.clock.now()), () => this.openReady());
    }
    return gate;
  }

  /** The event-driven fast path: opens whatever gates can open now (when the town allows it). */
  openReady(): void {
    if (this.settings.current.gateFastPath) this.evaluate('fast-path');
  }

  /** Holds beads behind a new gate (a convoy's next wave, or an operator's gate once checked). */
  hold(input: GateInput): Gate {
    if (input.holds.length === 0) throw invalid('a gate must hold at least one bead');
    if (input.kind === 'timer' && input.until == null) throw invalid('a timer gate needs `until`');
    if ((input.kind === 'merge_landed' || input.kind === 'bead_closed') && !input.beads?.length) {
      throw invalid(`a ${input.kind} gate needs the beads it waits for`);
    }
    let id: string;
    do id = makeId('gate', this.ctx.random);
    while (this.waiting.has(id));
    const gate: Gate = {
      id,
      kind: input.kind,
      title: input.title,
      status: 'waiting',
      holds: [...input.holds],
      until: input.until ?? null,
      beads: [...(input.beads ?? [])],
      rig: input.rig ?? null,
      convoyId: input.convoyId ?? null,
      createdAt: this.ctx.clock.now(),
      readyAt: null,
      openedAt: null,
      openedBy: null,
    };
    this.track(gate);
    this.save(gate);
    this.ctx.emit({
      type: 'gate.created',
      at: gate.createdAt,
      gate: id,
      kind: gate.kind,
      title: gate.title,
      holds: gate.holds.length,
      rig: gate.rig,
    });
    return gate;
  }

  /** When the gate's condition first held, or null while it does not hold. */
  readyAt(gate: Gate): number | null {
    const now = this.ctx.clock.now();
    switch (gate.kind) {
      case 'timer':
        return gate.until !== null && now >= gate.until ? gate.until : null;
      case 'human':
        return null; // only an approval opens it
      case 'merge_landed':
      case 'bead_closed': {
        // Never earlier than the gate itself: what it waits for may have finished before it existed.
        let latest = gate.createdAt;
        for (const bead of gate.beads) {
          const at = this.beads.finishedAt(bead);
          if (at === undefined) return null;
          if (gate.kind === 'merge_landed' && !this.beads.landed(bead)) return null;
          latest = Math.max(latest, at ?? now);
        }
        return latest;
      }
    }
  }

  /** Opens every waiting gate (of `rig`, or all) whose condition holds; returns those opened. */
  evaluate(by: string, rig?: string): Gate[] {
    const opened: Gate[] = [];
    for (const gate of this.waiting.values()) {
      if (rig !== undefined && gate.rig !== null && gate.rig !== rig) continue;
      const ready = this.readyAt(gate);
      if (ready !== null) opened.push(this.open(gate, ready, by));
    }
    return opened;
  }

  /** Holds more beads behind a waiting gate. */
  addHolds(id: string, beads: string[]): void {
    const gate = this.waiting.get(id);
    if (!gate) return;
    for (const b of beads) {
      if (gate.holds.includes(b)) continue;
      gate.holds.push(b);
      this.held.set(b, (this.held.get(b) ?? 0) + 1);
    }
    this.save(gate);
  }

  /** A bead left the plan: no gate holds it or waits for it any more. */
  forget(beadId: string): void {
    for (const gate of this.waiting.values()) {
      const held = gate.holds.includes(beadId);
      if (!held && !gate.beads.includes(beadId)) continue;
      gate.holds = gate.holds.filter((b) => b !== beadId);
      gate.beads = gate.beads.filter((b) => b !== beadId);
      if (held) {
        const n = (this.held.get(beadId) ?? 1) - 1;
        if (n > 0) this.held.set(beadId, n);
        else this.held.delete(beadId);
      }
      this.save(gate);
    }
  }

  /** Withdraws a waiting gate (its beads are no longer held by it). */
  cancel(id: string): void {
    const gate = this.waiting.get(id);
    if (!gate) return;
    gate.status = nextGateStatus(gate.status, 'cancel');
    this.release(gate);
    this.save(gate);
  }

  /** A person opens a human-approval gate. */
  approve(id: string, who: string): Gate {
    const gate = this.waiting.get(id);
    if (!gate) throw notFound('waiting gate', id);
    if (gate.kind !== 'human') throw conflict(`gate '${id}' is a ${gate.kind} gate; only human gates are approved`);
    return this.open(gate, this.ctx.clock.now(), who);
  }

  private open(gate: Gate, readyAt: number, by: string): Gate {
    const now = this.ctx.clock.now();
    Object.assign(gate, { status: nextGateStatus(gate.status, 'open'), readyAt, openedAt: now, openedBy: by });
    this.release(gate);
    this.save(gate);
    if (gate.kind !== 'human') {
      // A person's approval is not evaluation latency; everything else is.
      this.latencies.push({ at: now, ms: now - readyAt, kind: gate.kind });
      if (this.latencies.length > 500) this.latencies.shift();
    }
    this.ctx.emit({ type: 'gate.opened', at: now, gate: gate.id, kind: gate.kind, rig: gate.rig, latencyMs: now - readyAt, by });
    return gate;
  }

  private release(gate: Gate): void {
    this.waiting.delete(gate.id);
    for (const bead of gate.holds) {
      const n = (this.held.get(bead) ?? 1) - 1;
      if (n > 0) this.held.set(bead, n);
      else this.held.delete(bead);
    }
  }

  private track(gate: Gate): void {
    this.waiting.set(gate.id, gate);
    for (const bead of gate.holds) this.held.set(bead, (this.held.get(bead) ?? 0) + 1);
  }

  private save(gate: Gate): void {
    const copy = structuredClone(gate);
    void this.ctx.persistence.write((s) => s.saveGate(copy));
  }
}
