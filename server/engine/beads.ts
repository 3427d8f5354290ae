/**
 * Beads, the units of work: created on a rig (or routed to the rig whose path scope owns
 * them), made to wait on others, closed when they will not be done. Beads in play live in
 * the records; finished ones are history in the store.
 */
import { BeadImport, type ImportedBead, type ImportResult } from './bead-import';
import type { EngineContext } from './context';
import { conflict, invalid, notFound } from './errors';
import type { GateBook } from './gate';
import type { Bead } from '../../contracts/records';
import { owns } from './partitions';
import type { TownRecords } from './records';
import type { Waves } from './waves';

export type BeadInput = {
  title: string;
  description?: string;
  priority?: number;
  labels?: string[];
  dependsOn?: string[];
  paths?: string[];
  rig: string;
  convoyId?: string | null;
};

export class Beads {
  private readonly importer: BeadImport;

  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly gates: GateBook,
    private readonly waves: Waves,
  ) {
    this.importer = new BeadImport(ctx, records);
  }

  /** Imports beads from another tracker, ids kept, in one transaction (bead-import.ts). */
  import(beads: ImportedBead[], rig?: string): Promise<ImportResult> {
    return this.importer.import(beads, rig);
  }

  /** Beads still in play (not done or closed). */
  list(): Bead[] {
    return [...this.records.beads.values()];
  }

  get(id: string): Bead | undefined {
    return this.records.beads.get(id);
  }

  create(input: BeadInput): Bead {
    const bead = this.make(input, (id) => this.records.beads.has(id));
    this.records.putBead(bead);
    this.announce(bead);
    return bead;
  }

  /**
   * A bead made from `input` after every check against the current state, changing
   * nothing: `create` and a convoy's creation check all their beads first, then apply.
   * `taken` says which ids are in use (a convoy's beads are not in the records yet).
   */
  make(input: BeadInput, taken: (id: string) => boolean): Bead {
    const { rig } = this.records.rig(input.rig);
    if (rig.status === 'retired') throw conflict(`rig '${input.rig}' is retired`);
    for (const dep of input.dependsOn ?? []) {
      if (!this.records.beads.has(dep)) throw invalid(`dependency '${dep}' is not an open bead`);
    }
    const now = this.ctx.clock.now();
    return {
      id: this.records.newId('gt', taken),
      title: input.title,
      description: input.description ?? '',
      status: 'open',
      priority: input.priority ?? 2,
      labels: input.labels ?? [],
      dependsOn: input.dependsOn ?? [],
      issueType: 'task',
      parent: null,
      related: [],
      paths: input.paths ?? [],
      rig: input.rig,
      assignee: null,
      convoyId: input.convoyId ?? null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
  }

  /** Tells the town a bead is in play (the Mayor wakes on it). */
  announce(bead: Bead): void {
    this.ctx.emit({
      type: 'bead.created',
      at: bead.createdAt,
      rig: bead.rig,
      bead: bead.id,
      title: bead.title,
      convoy: bead.convoyId,
    });
  }

  /** The rig whose path scope owns every path of a bead (the Mayor's routing), among the rigs of `repoPath` when given. */
  route(paths: string[], repoPath?: string): string {
    const owners = [...this.records.rigs.values()]
      .map((rt) => rt.rig)
      .filter((r) => repoPath === undefined || r.repoPath === repoPath)
      .filter((r) => r.status !== 'retired' && paths.every((p) => owns(r.settings, p.replace(/\/$/, '/x'))));
    // A partition owning the paths beats a rig that owns everything.
    const scoped = owners.filter((r) => r.settings.scope.length > 0 || r.settings.scopeExclude.length > 0);
    const pick = scoped[0] ?? owners[0];
    if (!pick) throw invalid(`no rig owns the paths ${paths.join(', ') || '(none)'}; name a rig`);
    return pick.name;
  }

  /**
   * Makes a bead wait for others. Refused when it would close a cycle (the bead would
   * wait for itself) or when the bead has started.
   */
  addDependencies(id: string, on: string[]): Bead {
    const bead = this.records.beads.get(id);
    if (!bead) throw notFound('open bead', id);
    if (bead.status !== 'open' && bead.status !== 'blocked')
      throw conflict(`bead '${id}' has started; its dependencies are fixed`);
    for (const dep of on) {
      if (!this.records.beads.has(dep)) throw invalid(`dependency '${dep}' is not an open bead`);
      if (dep === id || this.dependsOn(dep, id)) throw invalid(`'${id}' -> '${dep}' would make a dependency cycle`);
    }
    bead.dependsOn = [...new Set([...bead.dependsOn, ...on])];
    this.records.saveBead(bead);
    return bead;
  }

  /** Whether `from` waits, directly or not, on `to`. */
  private dependsOn(from: string, to: string, seen = new Set<string>()): boolean {
    if (seen.has(from)) return false;
    seen.add(from);
    const bead = this.records.beads.get(from);
    return !!bead && bead.dependsOn.some((d) => d === to || this.dependsOn(d, to, seen));
  }

  /** Closes a bead that will not be done (bd close): it leaves the pool and its convoy. */
  close(id: string): Bead {
    const bead = this.records.beads.get(id);
    if (!bead) throw notFound('open bead', id);
    if (bead.status === 'hooked' || bead.status === 'in_progress')
      throw conflict(`bead '${id}' is being worked on by ${bead.assignee}`);
    const convoy = bead.convoyId ? this.records.convoys.get(bead.convoyId) : undefined;
    this.records.finishBead(bead, 'closed');
    this.waves.beadFinished(convoy, id);
    this.gates.openReady();
    return bead;
  }
}
