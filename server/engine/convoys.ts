/**
 * Convoys: beads dispatched and tracked together, all at once or staggered in waves (the
 * seed's Strategy 2). Wave N+1 is held by a merge-landed gate on wave N's beads, so later
 * polecats start from a target that already holds the earlier work. Each wave counts its
 * merges, conflicts and rejections, so staggered and all-at-once runs of the same work
 * can be compared. Re-staggering a convoy in flight re-plans only the waves nothing of
 * which has been dispatched yet.
 */
import type { EngineContext } from './context';
import { conflict, invalid, notFound } from './errors';
import type { BeadInput, Beads } from './beads';
import type { GateBook } from './gate';
import type { Bead, Convoy, Wave } from '../../contracts/records';
import type { TownRecords } from './records';

/** `auto`: a size suggested from the Refinery's recorded merge throughput. */
export type WaveSizeChoice = number | 'auto' | null;

/** The seed's example wave size, used when there is no throughput to go by. */
const DEFAULT_WAVE_SIZE = 5;

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class Convoys {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly gates: GateBook,
    private readonly beads: Beads,
  ) {}

  /** Open convoys. */
  list(): Convoy[] {
    return [...this.records.convoys.values()];
  }

  /** An open convoy, or undefined. */
  find(id: string): Convoy | undefined {
    return this.records.convoys.get(id);
  }

  /** An open convoy; not_found otherwise. */
  get(id: string): Convoy {
    const convoy = this.records.convoys.get(id);
    if (!convoy) throw notFound('open convoy', id);
    return convoy;
  }

  /**
   * Creates a convoy and its beads, tracked together. Dispatched at once unless `hold`:
   * a held convoy waits for `dispatch` (all at once or in waves).
   */
  create(title: string, beads: Array<Omit<BeadInput, 'convoyId'>>, options: { hold?: boolean; by?: string } = {}): Convoy {
    const convoy: Convoy = {
      id: this.records.newId('cv', (id) => this.records.convoys.has(id)),
      title,
      status: 'open',
      beadIds: [],
      createdAt: this.ctx.clock.now(),
      closedAt: null,
      dispatchedAt: null,
      waveSize: null,
      waves: [],
    };
    // Validate, then apply: every bead is checked (a bad third bead refuses the convoy
    // before beads 1-2 exist), then all change in one step, written as one transaction.
    const made: Bead[] = [];
    const ids = new Set<string>();
    for (const b of beads) {
      const bead = this.beads.make({ ...b, convoyId: convoy.id }, (id) => ids.has(id) || this.records.beads.has(id));
      ids.add(bead.id);
      made.push(bead);
    }
    convoy.beadIds = made.map((b) => b.id);
    void this.records.putConvoy(convoy, made).catch(() => {}); // a refusal stops the town
    for (const bead of made) this.beads.announce(bead);
    this.ctx.emit({ type: 'convoy.created', at: convoy.createdAt, convoy: convoy.id, title, beads: beads.length });
    if (!options.hold) this.dispatch(convoy.id, null, options.by ?? 'mayor');
    return convoy;
  }

  /** Beads of a convoy that has not been dispatched yet are held. */
  isHeld(bead: Bead): boolean {
    if (!bead.convoyId) return false;
    const convoy = this.records.convoys.get(bead.convoyId);
    return convoy !== undefined && convoy.dispatchedAt === null;
  }

  /** Dispatches a held convoy: all at once (null) or in waves of N (or `auto`). */
  dispatch(id: string, choice: WaveSizeChoice, by: string): Convoy {
    const convoy = this.get(id);
    if (convoy.dispatchedAt !== null) throw conflict(`convoy '${id}' is already dispatched; re-stagger it instead`);
    const beads = convoy.beadIds.filter((b) => this.records.beads.has(b));
    const size = this.resolveSize(convoy, choice, beads.length);
    convoy.dispatchedAt = this.ctx.clock.now();
    convoy.waveSize = size;
    convoy.waves = [];
    this.appendWaves(convoy, size === null ? [beads] : chunk(beads, size), null);
    this.records.saveConvoy(convoy);
    this.ctx.emit({
      type: 'convoy.dispatched',
      at: convoy.dispatchedAt,
      convoy: id,
      waveSize: size,
      waves: convoy.waves.length,
      by,
    });
    return convoy;
  }

  /** Re-plans the waves none of whose beads have been dispatched; the rest keep going. */
  stagger(id: string, choice: WaveSizeChoice, by: string): Convoy {
    const convoy = this.get(id);
    if (convoy.dispatchedAt === null) return this.dispatch(id, choice, by);
    const untouched = (w: Wave) => w.dispatchedAt === null && w.beads.every((b) => this.records.beads.get(b)?.status === 'open');
    const firstUntouched = convoy.waves.findIndex(untouched);
    const keep = firstUntouched === -1 ? convoy.waves : convoy.waves.slice(0, firstUntouched);
    const replan = (firstUntouched === -1 ? [] : convoy.waves.slice(firstUntouched)).flatMap((w) => w.beads);
    const size = this.resolveSize(convoy, choice, Math.max(1, replan.length));
    for (const w of convoy.waves.slice(keep.length)) if (w.gateId) this.gates.cancel(w.gateId);
    convoy.waves = keep;
    convoy.waveSize = size;
    const previous = keep.at(-1);
    this.appendWaves(
      convoy,
      size === null ? (replan.length ? [replan] : []) : chunk(replan, size),
      previous?.landedAt === null ? previous : null,
    );
    this.records.saveConvoy(convoy);
    this.ctx.emit({
      type: 'convoy.restaggered',
      at: this.ctx.clock.now(),
      convoy: id,
      waveSize: size,
      replanned: replan.length,
      by,
    });
    return convoy;
  }

  /** Adds open beads to a convoy (to its last wave if it is still waiting, else a new wave). */
  add(id: string, beadIds: string[]): Convoy {
    const convoy = this.get(id);
    for (const b of beadIds) {
      const bead = this.records.beads.get(b);
      if (!bead) throw invalid(`bead '${b}' is not in play`);
      if (bead.convoyId && bead.convoyId !== id) throw conflict(`bead '${b}' belongs to convoy '${bead.convoyId}'`);
    }
    const added = beadIds.filter((b) => !convoy.beadIds.includes(b));
    for (const b of added) {
      convoy.beadIds.push(b);
      const bead = this.records.beads.get(b)!;
      bead.convoyId = id;
      this.records.saveBead(bead);
    }
    if (convoy.dispatchedAt !== null && added.length > 0) {
      const last = convoy.waves.at(-1);
      if (last && last.dispatchedAt === null) {
        last.beads.push(...added);
        if (last.gateId) this.gates.addHolds(last.gateId, added);
      } else this.appendWaves(convoy, [added], last && last.landedAt === null ? last : null);
    }
    this.records.saveConvoy(convoy);
    this.ctx.emit({ type: 'convoy.changed', at: this.ctx.clock.now(), convoy: id, added, removed: [] });
    return convoy;
  }

  /** Takes a bead that has not started out of a convoy (it stays open, on its own). */
  remove(id: string, beadId: string): Convoy {
    const convoy = this.get(id);
    const bead = this.records.beads.get(beadId);
    if (!convoy.beadIds.includes(beadId)) throw notFound(`bead in convoy '${id}'`, beadId);
    if (bead && bead.status !== 'open' && bead.status !== 'blocked')
      throw conflict(`bead '${beadId}' is ${bead.status}; only beads not started can leave`);
    convoy.beadIds = convoy.beadIds.filter((b) => b !== beadId);
    for (const w of convoy.waves) w.beads = w.beads.filter((b) => b !== beadId);
    this.gates.forget(beadId);
    if (bead) {
      bead.convoyId = null;
      this.records.saveBead(bead);
    }
    this.records.saveConvoy(convoy);
    this.ctx.emit({ type: 'convoy.changed', at: this.ctx.clock.now(), convoy: id, added: [], removed: [beadId] });
    return convoy;
  }

  /** A size for `auto`: about as many beads as the Refinery lands while one wave is worked. */
  suggestWaveSize(convoyOrId: Convoy | string): number {
    const convoy = typeof convoyOrId === 'string' ? this.get(convoyOrId) : convoyOrId;
    const rigs = [...new Set(convoy.beadIds.map((b) => this.records.beads.get(b)?.rig).filter((r): r is string => !!r))];
    const beads = Math.max(1, convoy.beadIds.length);
    if (rigs.length === 0) return Math.min(DEFAULT_WAVE_SIZE, beads);
    let fit = 0;
    for (const rig of rigs) {
      const t = this.throughput(rig);
      if (!t.mergesPerHour) return Math.min(DEFAULT_WAVE_SIZE, beads); // no rate yet (or none at all)
      fit += Math.max(
        1,
        Math.min(t.idlePolecats || Number.POSITIVE_INFINITY, Math.round((t.mergesPerHour * t.workMs) / 3_600_000)),
      );
    }
    return Math.max(2, Math.min(beads, fit));
  }

  // ------------------------------------------------------------------ helpers

  /** Merges per hour a rig's Refinery has recently landed, a bead's typical work time, idle polecats. */
  private throughput(rig: string): { mergesPerHour: number | null; workMs: number; idlePolecats: number } {
    const rt = this.records.rig(rig);
    return {
      mergesPerHour: rt.refinery.stats.snapshot(this.ctx.clock.now()).mergesPerHour,
      workMs: rt.rig.settings.agentWorkMs,
      idlePolecats: this.records.polecatsOf(rig).filter((p) => p.state === 'idle').length,
    };
  }

  private resolveSize(convoy: Convoy, choice: WaveSizeChoice, beads: number): number | null {
    if (choice === null) return null;
    if (choice === 'auto') return this.suggestWaveSize(convoy);
    if (!Number.isInteger(choice) || choice < 1) throw invalid(`a wave size must be a whole number of at least 1, got ${choice}`);
    if (choice > beads) throw invalid(`a wave size of ${choice} is larger than the convoy's ${beads} beads still to do`);
    return choice;
  }

  /** Adds waves to the plan; each is gated on the one before (or on `after`, for the first). */
  private appendWaves(convoy: Convoy, groups: string[][], after: Wave | null): void {
    let previous = after ?? convoy.waves.at(-1) ?? null;
    for (const beads of groups) {
      if (beads.length === 0) continue;
      const index = convoy.waves.length + 1;
      const gate = previous
        ? this.gates.hold({
            kind: 'merge_landed',
            title: `${convoy.title}: wave ${index} after wave ${previous.index}`,
            holds: beads,
            beads: previous.beads,
            convoyId: convoy.id,
            rig: null,
          })
        : null;
      const wave: Wave = {
        index,
        beads,
        gateId: gate?.id ?? null,
        dispatchedAt: null,
        landedAt: null,
        merged: 0,
        conflicts: 0,
        rejections: 0,
      };
      convoy.waves.push(wave);
      previous = wave;
    }
  }
}
