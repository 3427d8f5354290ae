/**
 * Beads brought in from another tracker (`bd import`, the beads interchange format parsed
 * by server/beads/interchange.ts): ids kept, all-or-nothing, idempotent.
 *
 * Every bead of the file is checked against the town first (its rig, the beads in play,
 * the history in the store), then the whole change is applied in one synchronous step
 * and written as one store transaction (`TownRecords.commit`). Per bead:
 *   - unknown id: created; `done` ones go straight to history (never dispatched);
 *   - known, same content: unchanged (importing the same file again creates nothing);
 *   - known, changed: updated (title, description, priority, labels, dependencies,
 *     issue type, parent, related beads, status); a bead an agent holds keeps its state (its file status `open` is what it
 *     was exported as), and changing its content is refused;
 *   - `blocks` dependencies hold dispatch like any bead's; the parent (`parent-child`)
 *     and `related` beads are kept and exported back, and hold nothing. Ids the town has
 *     never seen, in any of them, are reported, not fatal (the Mayor treats an unknown
 *     blocking id as finished).
 */
import type { EngineContext } from './context';
import { conflict, invalid } from './errors';
import type { Bead, BeadStatus } from '../../contracts/records';
import type { TownRecords } from './records';

/** A bead as the interchange parser hands it over, in the town's terms (the record's own fields). */
export type ImportedBead = Pick<
  Bead,
  | 'id'
  | 'title'
  | 'description'
  | 'status'
  | 'priority'
  | 'labels'
  | 'dependsOn'
  | 'issueType'
  | 'parent'
  | 'related'
  | 'createdAt'
  | 'updatedAt'
  | 'closedAt'
>;

/** Every bead id `bead` names: what it is blocked by, its parent, the ones it is related to. */
const linked = (bead: ImportedBead): string[] => [...bead.dependsOn, ...(bead.parent ? [bead.parent] : []), ...bead.related];

/** What `bd import --json` prints. */
export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  unresolvedDependencies: { id: string; dependsOn: string }[];
}

const FINISHED = new Set<BeadStatus>(['done', 'closed']);
/** Held by an agent of this town: the file cannot know, so its `open` means "as it is". */
const HELD = new Set<BeadStatus>(['hooked', 'in_progress']);

const sameList = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

function sameContent(bead: Bead, next: ImportedBead): boolean {
  return (
    bead.title === next.title &&
    bead.description === next.description &&
    bead.priority === next.priority &&
    sameList(bead.labels, next.labels) &&
    sameList(bead.dependsOn, next.dependsOn) &&
    bead.issueType === next.issueType &&
    bead.parent === next.parent &&
    sameList(bead.related, next.related)
  );
}

/** The status a known bead takes from the file (a held bead keeps its own when the file says open). */
function nextStatus(bead: Bead, next: ImportedBead): BeadStatus {
  if (HELD.has(bead.status) && next.status === 'open') return bead.status;
  if (bead.status === 'closed' && next.status === 'done') return 'closed';
  return next.status;
}

export class BeadImport {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
  ) {}

  /**
   * Imports `beads` (new ones onto `rig`; needed when the town has more than one rig).
   * Refused as a whole, changing nothing, when a rig is missing or retired, a held bead's
   * content would change, a bead is on a detached rig, or dependencies would form a cycle.
   */
  async import(beads: ImportedBead[], rig?: string): Promise<ImportResult> {
    const { records } = this;
    const fileIds = new Set(beads.map((b) => b.id));
    const lookUp = new Set<string>();
    for (const b of beads) for (const id of [b.id, ...linked(b)]) if (!records.inPlay(id)) lookUp.add(id);
    const stored = new Map(
      lookUp.size === 0 ? [] : (await this.ctx.persistence.store.listBeads({ ids: [...lookUp] })).map((b) => [b.id, b] as const),
    );

    // ---- check everything against the town (after the await: nothing changes below it)
    const now = this.ctx.clock.now();
    const created: Bead[] = [];
    const updated: Bead[] = [];
    const statusBefore = new Map<string, BeadStatus>();
    let unchanged = 0;
    let newRig: string | undefined;
    const rigForNew = (): string => {
      newRig ??= this.rigForNewBeads(rig);
      return newRig;
    };
    for (const next of beads) {
      const live = records.beads.get(next.id);
      const known = live ?? stored.get(next.id);
      if (!live && records.beadStatus(next.id) !== undefined)
        throw conflict(`bead '${next.id}' is on a detached rig; attach it before importing`);
      if (!known) {
        const bead: Bead = {
          id: next.id,
          title: next.title,
          description: next.description,
          status: next.status,
          priority: next.priority,
          labels: next.labels,
          dependsOn: next.dependsOn,
          issueType: next.issueType,
          parent: next.parent,
          related: next.related,
          paths: [],
          rig: rigForNew(),
          assignee: null,
          convoyId: null,
          createdAt: next.createdAt,
          updatedAt: FINISHED.has(next.status) ? next.updatedAt : now,
          closedAt: FINISHED.has(next.status) ? (next.closedAt ?? next.updatedAt) : null,
        };
        created.push(bead);
        continue;
      }
      const status = nextStatus(known, next);
      if (status === known.status && sameContent(known, next)) {
        unchanged++;
        continue;
      }
      if (HELD.has(known.status))
        throw conflict(`bead '${next.id}' is being worked on by ${known.assignee}; import it again once it has landed`);
      const reopened = FINISHED.has(known.status) && !FINISHED.has(status);
      if (reopened && !records.live(known.rig))
        throw conflict(`bead '${next.id}' belongs to rig '${known.rig}', which is not attached`);
      statusBefore.set(known.id, known.status);
      updated.push({
        ...structuredClone(known),
        title: next.title,
        description: next.description,
        priority: next.priority,
        labels: next.labels,
        dependsOn: next.dependsOn,
        issueType: next.issueType,
        parent: next.parent,
        related: next.related,
        status,
        updatedAt: now,
        closedAt: FINISHED.has(status) ? (known.closedAt ?? next.closedAt ?? now) : null,
      });
    }
    const changed = [...created, ...updated];
    this.checkNoCycle(changed);

    const unresolvedDependencies = beads.flatMap((b) =>
      linked(b)
        .filter((dep) => !fileIds.has(dep) && !stored.has(dep) && records.beadStatus(dep) === undefined)
        .map((dep) => ({ id: b.id, dependsOn: dep })),
    );

    // ---- apply: one synchronous step, one store transaction
    if (changed.length > 0) {
      await records.importBeads(changed);
      for (const bead of created) if (!FINISHED.has(bead.status)) this.announce(bead);
      // The Mayor wakes on a bead back to open; a finished one may open gates and convoys.
      for (const bead of updated) {
        const from = statusBefore.get(bead.id)!;
        if (from !== bead.status)
          this.ctx.emit({ type: 'bead.status_changed', at: now, rig: bead.rig, bead: bead.id, from, to: bead.status });
      }
    }
    return { created: created.length, updated: updated.length, unchanged, unresolvedDependencies };
  }

  private announce(bead: Bead): void {
    this.ctx.emit({ type: 'bead.created', at: bead.updatedAt, rig: bead.rig, bead: bead.id, title: bead.title, convoy: null });
  }

  private rigForNewBeads(rig: string | undefined): string {
    const open = [...this.records.rigs.values()].filter((rt) => rt.rig.status !== 'retired' && !rt.detaching);
    if (rig === undefined) {
      if (open.length === 1) return open[0].rig.name;
      throw invalid(
        open.length === 0
          ? 'the town has no rig to import beads onto; add one first'
          : 'the town has several rigs: name one (--rig)',
      );
    }
    const rt = this.records.rig(rig);
    if (rt.rig.status === 'retired') throw conflict(`rig '${rig}' is retired`);
    return rig;
  }

  /** Refuses dependencies that, with the beads in play, would make a bead wait on itself. */
  private checkNoCycle(changed: Bead[]): void {
    const next = new Map(changed.map((b) => [b.id, b.dependsOn]));
    const depsOf = (id: string) => next.get(id) ?? this.records.beads.get(id)?.dependsOn ?? [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string, trail: string[]): void => {
      if (state.get(id) === 'done') return;
      if (state.get(id) === 'visiting') throw invalid(`blocks dependencies would form a cycle: ${[...trail, id].join(' -> ')}`);
      state.set(id, 'visiting');
      for (const dep of depsOf(id)) visit(dep, [...trail, id]);
      state.set(id, 'done');
    };
    for (const b of changed) visit(b.id, []);
  }
}
