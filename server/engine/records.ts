/**
 * The town's records in play and the only way they change: every mutation here goes
 * through the state machines, is written through to the store and is announced on the
 * bus. The roles (polecat work, supervision, the Refinery's outcomes) share one
 * TownRecords, so no role writes a record behind another's back.
 */
import type { EngineContext } from './context';
import { notFound } from './errors';
import type { MergeQueue } from './merge-queue';
import type { Bead, BeadStatus, Convoy, MergeRequest, Polecat, Rig } from './model';
import { nextPolecatState, type PolecatEvent } from './polecat';
import type { RecordChange } from './ports';
import { makeId } from './random';
import type { Refinery } from './refinery';
import type { Witness } from './witness';

/** A rig with the roles that serve it. */
export interface RigRuntime {
  rig: Rig;
  queue: MergeQueue;
  refinery: Refinery;
  witness: Witness;
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
  readonly rigs = new Map<string, RigRuntime>();
  readonly polecats: Map<string, Polecat> = new PolecatMap();
  /** Beads in play; done and closed ones are history in the store. */
  readonly beads = new Map<string, Bead>();
  /** Open convoys. */
  readonly convoys = new Map<string, Convoy>();
  /** Finish times of beads that left memory this run, for gates that wait on them. */
  private readonly finished = new Map<string, { at: number; landed: boolean }>();

  constructor(private readonly ctx: EngineContext) {}

  rig(name: string): RigRuntime {
    const rt = this.rigs.get(name);
    if (!rt) throw notFound('rig', name);
    return rt;
  }

  polecat(id: string): Polecat {
    const p = this.polecats.get(id);
    if (!p) throw notFound('polecat', id);
    return p;
  }

  polecatsOf(rig: string): Polecat[] {
    return (this.polecats as PolecatMap).ofRig(rig);
  }

  /** The polecat's unfinished merge request for its current bead, if any. */
  mergeRequestFor(polecat: Polecat): MergeRequest | undefined {
    if (!polecat.beadId) return undefined;
    return this.rig(polecat.rig)
      .queue.all()
      .find((mr) => mr.polecatId === polecat.id && mr.beadId === polecat.beadId);
  }

  /**
   * When a bead finished: engine time, null when it finished before this run (time not
   * known), undefined while it is still in play.
   */
  finishedAt(beadId: string): number | null | undefined {
    const bead = this.beads.get(beadId);
    if (bead) return bead.status === 'done' || bead.status === 'closed' ? bead.updatedAt : undefined;
    return this.finished.get(beadId)?.at ?? null;
  }

  landed(beadId: string): boolean {
    return this.finished.get(beadId)?.landed ?? !this.beads.has(beadId);
  }

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
    this.beads.delete(bead.id);
    this.finished.set(bead.id, { at: now, landed: status === 'done' });
    if (this.finished.size > 10_000) this.finished.delete(this.finished.keys().next().value!);
    const convoy = bead.convoyId ? this.convoys.get(bead.convoyId) : undefined;
    if (convoy && convoy.status === 'open' && convoy.beadIds.every((id) => !this.beads.has(id))) {
      convoy.status = 'landed';
      convoy.closedAt = now;
      this.saveConvoy(convoy);
      this.convoys.delete(convoy.id);
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

  saveRig(rig: Rig): void {
    const copy = structuredClone(rig);
    void this.ctx.persistence.write((s) => s.saveRig(copy));
  }

  savePolecat(p: Polecat): void {
    const copy = { ...p };
    void this.ctx.persistence.write((s) => s.savePolecat(copy));
  }

  saveBead(b: Bead): void {
    const copy = structuredClone(b);
    void this.ctx.persistence.write((s) => s.saveBead(copy));
  }

  saveConvoy(c: Convoy): void {
    const copy = structuredClone(c);
    void this.ctx.persistence.write((s) => s.saveConvoy(copy));
  }
}
