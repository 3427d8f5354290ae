/**
 * The records in play (rigs with their roles, polecats, beads, open convoys) and the only
 * way they change: the maps are private; roles read them through read-only views and
 * change them through the methods here, which go through the state machines, write
 * through to the store and announce on the bus. The roles share one TownRecords, so no
 * role writes a record behind another's back.
 *
 * A detached rig (rigs.detach) leaves memory with its polecats and beads; its beads stay
 * known as "in play elsewhere" by id and status, so a gate, a dependency or a convoy that
 * waits on them keeps waiting instead of taking them for finished.
 */
import type { EngineContext } from './context';
import { notFound } from './errors';
import type { MergeQueue } from './merge-queue';
import type { Bead, BeadStatus, Convoy, MergeRequest, Polecat, Rig } from '../../contracts/records';
import { nextPolecatState, type PolecatEvent } from './polecat';
import type { RecordChange } from './ports';
import { makeId } from './random';
import type { Refinery } from './refinery';
import type { Witness } from './witness';

/** The saves `TownRecords.together` gathers. */
type Gathered = { rigs: Rig[]; polecats: Polecat[]; beads: Bead[]; convoys: Convoy[] };

/** A rig with the roles that serve it (built by rig-runtimes.ts). */
export interface RigRuntime {
  rig: Rig;
  queue: MergeQueue;
  refinery: Refinery;
  witness: Witness;
  /** Set while the rig is being detached: no new work starts on it. */
  detaching: boolean;
}

/**
 * Polecats by id, indexed by rig as well: patrols, tiering and every dispatch pass ask
 * for one rig's polecats, and a scan of the whole town each time made a town of a
 * thousand polecats quadratic. The index follows set/delete; a polecat that moved to
 * another rig (a split or a merge of rigs) is set again, and moves in the index.
 */
class PolecatMap extends Map<string, Polecat> {
  private readonly byRig = new Map<string, Map<string, Polecat>>();
  /** The rig each polecat is indexed under (its record may have changed since). */
  private readonly indexedRig = new Map<string, string>();

  override set(id: string, p: Polecat): this {
    super.set(id, p);
    // Map's constructor calls set before byRig exists; this map is always built empty.
    if (this.byRig) {
      const before = this.indexedRig.get(id);
      if (before !== undefined && before !== p.rig) this.byRig.get(before)?.delete(id);
      this.indexedRig.set(id, p.rig);
      let list = this.byRig.get(p.rig);
      if (!list) this.byRig.set(p.rig, (list = new Map()));
      list.set(id, p);
    }
    return this;
  }

  override delete(id: string): boolean {
    const rig = this.indexedRig.get(id);
    if (rig !== undefined) this.byRig.get(rig)?.delete(id);
    this.indexedRig.delete(id);
    return super.delete(id);
  }

  override clear(): void {
    this.byRig.clear();
    this.indexedRig.clear();
    super.clear();
  }

  ofRig(rig: string): Polecat[] {
    return [...(this.byRig.get(rig)?.values() ?? [])];
  }
}

export class TownRecords {
  readonly #rigs = new Map<string, RigRuntime>();
  readonly #polecats = new PolecatMap();
  /** Beads in play; done and closed ones are history in the store. */
  readonly #beads = new Map<string, Bead>();
  /** Open convoys. */
  readonly #convoys = new Map<string, Convoy>();
  /** Finish times of beads that left memory this run, for gates that wait on them. */
  private readonly finished = new Map<string, { at: number; landed: boolean }>();
  /** Beads of detached rigs: still in play, their records out of memory. */
  private readonly elsewhere = new Map<string, BeadStatus>();
  /** Rigs detached from this engine (their names stay taken). */
  private readonly detached = new Set<string>();
  /** While `together` runs: the saves it gathers into one transaction. */
  #gathered: Gathered | null = null;

  constructor(private readonly ctx: EngineContext) {}

  /** Rigs attached to this engine, with their roles. */
  get rigs(): ReadonlyMap<string, RigRuntime> {
    return this.#rigs;
  }

  get polecats(): ReadonlyMap<string, Polecat> {
    return this.#polecats;
  }

  /** Beads in play on attached rigs. */
  get beads(): ReadonlyMap<string, Bead> {
    return this.#beads;
  }

  get convoys(): ReadonlyMap<string, Convoy> {
    return this.#convoys;
  }

  rig(name: string): RigRuntime {
    const rt = this.#rigs.get(name);
    if (!rt) throw notFound('rig', name);
    return rt;
  }

  /** Whether new work may start on the rig: attached and not being detached. */
  live(rigName: string): boolean {
    const rt = this.#rigs.get(rigName);
    return !!rt && !rt.detaching;
  }

  polecat(id: string): Polecat {
    const p = this.#polecats.get(id);
    if (!p) throw notFound('polecat', id);
    return p;
  }

  polecatsOf(rig: string): Polecat[] {
    return this.#polecats.ofRig(rig);
  }

  /** Whether this polecat record is the one in play (not a detached rig's left-over). */
  holds(p: Polecat): boolean {
    return this.#polecats.get(p.id) === p;
  }

  /** The polecat's unfinished merge request for its current bead, if any. */
  mergeRequestFor(polecat: Polecat): MergeRequest | undefined {
    if (!polecat.beadId) return undefined;
    return this.rig(polecat.rig)
      .queue.all()
      .find((mr) => mr.polecatId === polecat.id && mr.beadId === polecat.beadId);
  }

  /** A bead's status while in play, here or on a detached rig; undefined once finished. */
  beadStatus(id: string): BeadStatus | undefined {
    return this.#beads.get(id)?.status ?? this.elsewhere.get(id);
  }

  /**
   * When a bead finished: engine time, null when it finished before this run (time not
   * known), undefined while it is still in play.
   */
  finishedAt(beadId: string): number | null | undefined {
    const bead = this.#beads.get(beadId);
    if (bead) return bead.status === 'done' || bead.status === 'closed' ? bead.updatedAt : undefined;
    if (this.elsewhere.has(beadId)) return undefined;
    return this.finished.get(beadId)?.at ?? null;
  }

  landed(beadId: string): boolean {
    return this.finished.get(beadId)?.landed ?? !this.unfinished(beadId);
  }

  /** Whether the bead is in play on an attached rig (a detached rig's beads are not at hand). */
  inPlay(beadId: string): boolean {
    return this.#beads.has(beadId);
  }

  /** In play here or on a detached rig. */
  private unfinished(beadId: string): boolean {
    return this.#beads.has(beadId) || this.elsewhere.has(beadId);
  }

  // ---------------------------------------------------------------- records in and out of memory

  /** Whether a rig of this name exists: attached, or detached from this engine. */
  knowsRig(name: string): boolean {
    return this.#rigs.has(name) || this.detached.has(name);
  }

  /** Registers a rig's runtime (attach, or a new partition). */
  addRig(rt: RigRuntime): void {
    this.#rigs.set(rt.rig.name, rt);
    this.detached.delete(rt.rig.name);
  }

  /** Loads a record into memory as it was stored (attach): nothing is written. */
  load(records: { polecats?: Polecat[]; beads?: Bead[]; convoys?: Convoy[] }): void {
    for (const p of records.polecats ?? []) this.#polecats.set(p.id, p);
    for (const b of records.beads ?? []) {
      this.#beads.set(b.id, b);
      this.elsewhere.delete(b.id);
    }
    // A convoy already in memory (it spans rigs still attached) is the live one.
    for (const c of records.convoys ?? []) if (!this.#convoys.has(c.id)) this.#convoys.set(c.id, c);
  }

  /**
   * Drops a detached rig's records from memory (they are in the store); its beads stay
   * known as in play elsewhere. Convoys are the town's and stay.
   */
  release(rigName: string): void {
    for (const p of this.#polecats.ofRig(rigName)) this.#polecats.delete(p.id);
    for (const b of [...this.#beads.values()]) {
      if (b.rig !== rigName) continue;
      this.#beads.delete(b.id);
      this.elsewhere.set(b.id, b.status);
    }
    // A convoy none of whose beads is in play here any more went with its rigs: the node that
    // attaches them loads it from the store, and a stale copy here must not answer for it.
    for (const [id, c] of this.#convoys) if (!c.beadIds.some((b) => this.#beads.has(b))) this.#convoys.delete(id);
    this.#rigs.delete(rigName);
    this.detached.add(rigName);
  }

  /** Puts a new or moved polecat in play (re-indexed under its rig) and saves it. */
  putPolecat(p: Polecat): void {
    this.#polecats.set(p.id, p);
    this.savePolecat(p);
  }

  /** Re-indexes a polecat whose rig changed (a split or merge saves it in one transaction). */
  reindexPolecat(p: Polecat): void {
    this.#polecats.set(p.id, p);
  }

  /** Takes a polecat out of play (its store record is deleted by the caller's transaction). */
  dropPolecat(id: string): void {
    this.#polecats.delete(id);
  }

  /** Puts a new bead in play and saves it. */
  putBead(bead: Bead): void {
    this.#beads.set(bead.id, bead);
    this.saveBead(bead);
  }

  /** Puts a new convoy and its beads in play, written as one store transaction. */
  putConvoy(convoy: Convoy, beads: Bead[]): Promise<void> {
    this.#convoys.set(convoy.id, convoy);
    for (const bead of beads) this.#beads.set(bead.id, bead);
    return this.commit({ beads, convoys: [convoy] });
  }

  /**
   * Puts imported beads in play or into history (bead-import.ts), written as one store
   * transaction: a bead not finished is in play (replacing the record it updates); a
   * finished one leaves memory.
   */
  importBeads(beads: Bead[]): Promise<void> {
    for (const bead of beads) {
      if (bead.status === 'done' || bead.status === 'closed') {
        if (this.#beads.delete(bead.id)) this.finished.set(bead.id, { at: bead.updatedAt, landed: bead.status === 'done' });
      } else this.#beads.set(bead.id, bead);
    }
    return this.commit({ beads });
  }

  // ---------------------------------------------------------------- transitions

  movePolecat(p: Polecat, event: PolecatEvent, patch: Partial<Polecat> = {}): void {
    const from = p.state;
    const to = nextPolecatState(from, event);
    Object.assign(p, patch, { state: to, stateSince: this.ctx.clock.now() });
    this.savePolecat(p);
    this.ctx.emit({ type: 'polecat.state_changed', at: p.stateSince, rig: p.rig, polecat: p.id, from, to, bead: p.beadId });
  }

  setBeadStatus(bead: Bead, to: BeadStatus, patch: Partial<Bead> = {}): void {
    const from = bead.status;
    Object.assign(bead, patch, { status: to, updatedAt: this.ctx.clock.now() });
    this.saveBead(bead);
    if (from !== to) this.ctx.emit({ type: 'bead.status_changed', at: bead.updatedAt, rig: bead.rig, bead: bead.id, from, to });
  }

  /** A bead is finished (landed, or closed by a person): it leaves memory, and its convoy may land. */
  finishBead(bead: Bead, status: 'done' | 'closed'): void {
    const now = this.ctx.clock.now();
    this.setBeadStatus(bead, status, { closedAt: now });
    this.#beads.delete(bead.id);
    this.finished.set(bead.id, { at: now, landed: status === 'done' });
    if (this.finished.size > 10_000) this.finished.delete(this.finished.keys().next().value!);
    const convoy = bead.convoyId ? this.#convoys.get(bead.convoyId) : undefined;
    if (convoy && convoy.status === 'open' && convoy.beadIds.every((id) => !this.unfinished(id))) {
      convoy.status = 'landed';
      convoy.closedAt = now;
      this.saveConvoy(convoy);
      this.#convoys.delete(convoy.id);
      this.ctx.emit({ type: 'convoy.landed', at: now, convoy: convoy.id });
    }
  }

  newId(prefix: string, taken: (id: string) => boolean): string {
    for (;;) {
      const id = makeId(prefix, this.ctx.random);
      if (!taken(id)) return id;
    }
  }

  /**
   * Writes several records as one store transaction (a split, a merge, a convoy with its
   * beads): all land or none. Copies now, so later changes in memory are not written.
   * The promise rejects when the store refused it (the town then stops, persistence.ts).
   */
  commit(change: RecordChange): Promise<void> {
    const copy: RecordChange = {
      rigs: change.rigs?.map((r) => structuredClone(r)),
      polecats: change.polecats?.map((p) => ({ ...p })),
      deletedPolecats: change.deletedPolecats && [...change.deletedPolecats],
      beads: change.beads?.map((b) => structuredClone(b)),
      convoys: change.convoys?.map((c) => structuredClone(c)),
      mergeRequests: change.mergeRequests?.map((mr) => ({ ...mr })),
    };
    // The caller answers 503 with why the town stopped, not the store's raw error.
    return this.ctx.persistence
      .write((s) => s.saveAll(copy))
      .catch(() => {
        throw this.ctx.persistence.refusal();
      });
  }

  /**
   * Runs `change` (synchronous) with the rig, polecat, bead and convoy saves it makes
   * gathered into one store transaction, written after it: bookkeeping that must not be
   * cut in half by a crash (a landing's counter, bead and polecat: recovery would count
   * the landing again). Nested calls join the outer one.
   */
  together(change: () => void): void {
    if (this.#gathered) return change();
    const gathered: Gathered = { rigs: [], polecats: [], beads: [], convoys: [] };
    this.#gathered = gathered;
    try {
      change();
    } finally {
      this.#gathered = null;
    }
    if (Object.values(gathered).some((list) => list.length > 0)) void this.ctx.persistence.write((s) => s.saveAll(gathered));
  }

  saveRig(rig: Rig): void {
    const copy = structuredClone(rig);
    if (this.#gathered) this.#gathered.rigs.push(copy);
    else void this.ctx.persistence.write((s) => s.saveRig(copy));
  }

  savePolecat(p: Polecat): void {
    const copy = { ...p };
    if (this.#gathered) this.#gathered.polecats.push(copy);
    else void this.ctx.persistence.write((s) => s.savePolecat(copy));
  }

  saveBead(b: Bead): void {
    const copy = structuredClone(b);
    if (this.#gathered) this.#gathered.beads.push(copy);
    else void this.ctx.persistence.write((s) => s.saveBead(copy));
  }

  saveConvoy(c: Convoy): void {
    const copy = structuredClone(c);
    if (this.#gathered) this.#gathered.convoys.push(copy);
    else void this.ctx.persistence.write((s) => s.saveConvoy(copy));
  }
}
