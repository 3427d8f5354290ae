/**
 * Splitting a rig into partitions by path scope, and merging them back (the seed's
 * "spread work across more rigs"). A split creates one rig per partition, each with its
 * own Refinery, Witness and merge queue, all landing on the parent's target branch; the
 * parent is retired (or kept as the integration rig for work that spans partitions).
 *
 * Work follows the split: each open bead, queued merge request and busy polecat goes to
 * the partition that owns the files it touches (a merge request's real diff, a bead's
 * paths); work spanning partitions goes to the integration rig the operator chose. Idle
 * polecats are redistributed to the counts asked for (by default in proportion to the
 * work each partition gets). Nothing is dropped: whatever appears between the preview
 * and the apply is routed the same way.
 *
 * `plan` is a dry run; `apply` drains the parent's Refinery (a landing in hand
 * finishes, held requests go back to the queue), re-plans, then changes every record
 * in one synchronous step persisted by one store transaction.
 */
import type { EngineContext } from './context';
import { conflict, invalid } from './errors';
import { isInQueue } from './merge-request';
import type { Bead, MergeRequest, Polecat, Rig } from '../../contracts/records';
import type { MergeResult, PartitionPlan, SplitPlan, SuggestedSplit } from '../../contracts/split';
import { expandPaths, owns, suggestPartitions } from './partitions';
import type { TownRecords, RigRuntime } from './records';
import { polecatCounts, splitLayout, type SplitRequest } from './split-layout';

export type { SplitRequest } from './split-layout';

export interface SplitHost {
  attachRig(rig: Rig): RigRuntime;
  running(): boolean;
  addPolecats(rig: string, count: number): Promise<Polecat[]>;
  /** Idle moved polecats take the id, branch and worktree of their new rig (polecats.ts). */
  followRigs(polecats: Polecat[]): void;
  /** Null while the Refinery's window is too short to say (refinery-stats.ts). */
  mergesPerHour(rig: string): number | null;
  checkNewRigName(name: string): void;
}

/** What git says about the rig being split, gathered before any record changes. */
interface Survey {
  files: string[];
  /** Changed files of each of the rig's merge requests. */
  mrFiles: Map<string, string[]>;
}

export class Splits {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly host: SplitHost,
  ) {}

  /** The dry run: what a split would do, changing nothing. */
  async plan(rigName: string, request: SplitRequest): Promise<SplitPlan> {
    const rt = this.splittable(rigName);
    const survey = await this.survey(rt);
    return this.compute(rt, request, survey).plan;
  }

  async apply(rigName: string, request: SplitRequest, by: string): Promise<SplitPlan> {
    const rt = this.splittable(rigName);
    this.compute(rt, request, await this.survey(rt)); // refuse bad requests before touching anything
    await rt.refinery.drain();
    let computed: ReturnType<Splits['compute']>;
    try {
      computed = this.compute(this.splittable(rigName), request, await this.survey(rt));
    } catch (err) {
      rt.refinery.resume();
      throw err;
    }
    // From here to the store write nothing awaits: the records change in one step.
    const { plan, layout, destination } = computed;
    const now = this.ctx.clock.now();
    const parent = rt.rig;
    const created = layout.parts
      .filter((p) => p.role !== 'integration')
      .map((p) =>
        this.host.attachRig({
          name: p.name,
          repoPath: parent.repoPath,
          targetBranch: parent.targetBranch,
          status: 'active',
          settings: { ...structuredClone(parent.settings), scope: p.scope, scopeExclude: p.scopeExclude },
          createdAt: now,
          counters: { merged: 0, conflicts: 0, rejected: 0, reworkedMerged: 0 },
          lineage: { splitFrom: parent.name, splitInto: [], mergedInto: null, at: now },
        }),
      );
    parent.lineage = {
      splitFrom: parent.lineage?.splitFrom ?? null,
      mergedInto: null,
      splitInto: created.map((c) => c.rig.name),
      at: now,
    };
    // The partitions patrol when the parent would have: a split does not reset the Witness's clock.
    const patrolDue = rt.witness.dueAt;
    if (layout.retire) {
      parent.status = 'retired';
      rt.witness.stop();
    }
    const moved = this.moveWork(rt, destination);
    const counts = new Map(plan.partitions.map((p) => [p.name, p.polecats]));
    const { reassigned, removed, shortfall } = this.distribute(rt.rig.name, destination, counts, moved.polecats);
    await this.records.commit({
      rigs: [parent, ...created.map((c) => c.rig)],
      polecats: reassigned,
      deletedPolecats: removed.map((p) => p.id),
      beads: moved.beads,
      mergeRequests: moved.mergeRequests,
    });
    this.host.followRigs(reassigned);
    for (const c of created) this.ctx.emit({ type: 'rig.added', at: now, rig: c.rig.name, repoPath: c.rig.repoPath });
    this.ctx.emit({
      type: 'rig.split',
      at: now,
      rig: parent.name,
      into: created.map((c) => c.rig.name),
      retired: layout.retire,
      beads: moved.beads.length,
      mergeRequests: moved.mergeRequests.length,
      polecats: reassigned.length,
      by,
    });
    this.finishMove([...created, ...(layout.retire ? [] : [rt])], removed, rt.rig, shortfall, patrolDue);
    return plan;
  }

  /**
   * Undoes a split: the live partitions of `rigName` (the split rig, or one of its
   * partitions) go back into it, work, queues and polecats included, and are retired.
   */
  async merge(rigName: string, by: string): Promise<MergeResult> {
    const first = this.mergeable(rigName); // refuse before draining anything
    await Promise.all([first.parent, ...first.children].map((r) => r.refinery.drain()));
    let checked: ReturnType<Splits['mergeable']>;
    try {
      checked = this.mergeable(rigName); // again: the drain awaited, and the rigs may have changed
    } catch (err) {
      for (const r of [first.parent, ...first.children]) r.refinery.resume();
      throw err;
    }
    // From here to the store write nothing awaits: the records change in one step.
    const { parent, children } = checked;
    const now = this.ctx.clock.now();
    const beads: Bead[] = [];
    const mergeRequests: MergeRequest[] = [];
    const polecats: Polecat[] = [];
    const taken = new Set(this.records.polecatsOf(parent.rig.name).map((p) => p.name));
    // The merged rig patrols when the soonest of its parts would have (the clock is kept).
    const dues = [parent, ...children].map((r) => r.witness.dueAt).filter((d): d is number => d !== null);
    const patrolDue = dues.length ? Math.min(...dues) : null;
    for (const child of children) {
      for (const bead of this.records.beads.values()) {
        if (bead.rig === child.rig.name) beads.push(Object.assign(bead, { rig: parent.rig.name }));
      }
      for (const mr of child.queue.all()) {
        child.queue.release(mr.id);
        parent.queue.adopt(mr);
        mergeRequests.push(mr);
      }
      for (const p of this.records.polecatsOf(child.rig.name)) polecats.push(this.rehome(p, parent.rig.name, taken));
      child.rig.status = 'retired';
      child.rig.lineage = { ...child.rig.lineage!, mergedInto: parent.rig.name, at: now };
      child.witness.stop();
    }
    parent.rig.status = 'active';
    parent.rig.lineage = { ...parent.rig.lineage!, splitInto: [], at: now };
    await this.records.commit({ rigs: [parent.rig, ...children.map((c) => c.rig)], polecats, beads, mergeRequests });
    this.host.followRigs(polecats);
    this.ctx.emit({
      type: 'rig.merged',
      at: now,
      rig: parent.rig.name,
      from: children.map((c) => c.rig.name),
      beads: beads.length,
      mergeRequests: mergeRequests.length,
      polecats: polecats.length,
      by,
    });
    if (this.host.running()) {
      parent.witness.stop();
      parent.witness.start(patrolDue);
    }
    parent.refinery.resume();
    for (const c of children) c.refinery.resume(); // retired: it stays idle, but no longer "stopped"
    return {
      rig: parent.rig.name,
      from: children.map((c) => c.rig.name),
      beads: beads.length,
      mergeRequests: mergeRequests.length,
      polecats: polecats.length,
    };
  }

  /** The split rig and its live partitions that a merge of `rigName` would fold back; refuses what cannot be merged. */
  private mergeable(rigName: string): { parent: RigRuntime; children: RigRuntime[] } {
    const named = this.records.rig(rigName).rig;
    const parentName = named.lineage?.splitInto.length ? named.name : named.lineage?.splitFrom;
    if (!parentName) throw invalid(`rig '${rigName}' was not split and is not a partition: nothing to merge back`);
    const parent = this.records.rig(parentName);
    const parts = (parent.rig.lineage?.splitInto ?? [])
      .map((name) => this.records.rigs.get(name))
      .filter((c): c is RigRuntime => !!c);
    // A partition split again is retired while its own partitions work: merging past it would leave them orphaned.
    for (const child of parts) {
      if (child.rig.lineage?.splitInto.length) {
        throw conflict(`partition '${child.rig.name}' was split again; merge its own partitions back first`);
      }
    }
    const children = parts.filter((c) => c.rig.status !== 'retired');
    if (children.length === 0) throw conflict(`rig '${parentName}' has no live partitions to merge back`);
    return { parent, children };
  }

  /** Partitions suggested from what the rig's work touched (landed merges, conflicts, open beads). */
  async suggest(rigName: string, history: MergeRequest[], max?: number): Promise<SuggestedSplit> {
    const rt = this.records.rig(rigName);
    const { git } = this.ctx;
    const tip = await git.resolveRef(rt.rig.repoPath, `refs/heads/${rt.rig.targetBranch}`);
    const files = (await git.listFiles(rt.rig.repoPath, tip)).filter((f) => owns(rt.rig.settings, f));
    const touches: string[][] = [];
    for (const mr of history) {
      if (mr.mergeCommit) touches.push(await git.changedFiles(rt.rig.repoPath, `${mr.mergeCommit}^1`, mr.mergeCommit));
      if (mr.conflictFiles.length > 0) touches.push(mr.conflictFiles);
    }
    for (const bead of this.records.beads.values()) {
      if (bead.rig === rigName && bead.paths.length > 0) touches.push(expandPaths(bead.paths, files));
    }
    return suggestPartitions(rigName, files, touches, max);
  }

  // ---------------------------------------------------------------- planning

  private splittable(rigName: string): RigRuntime {
    const rt = this.records.rig(rigName);
    if (rt.rig.status === 'retired') throw conflict(`rig '${rigName}' is retired`);
    if (rt.rig.status === 'parked') throw conflict(`rig '${rigName}' is parked; unpark it before splitting`);
    return rt;
  }

  private async survey(rt: RigRuntime): Promise<Survey> {
    const { git } = this.ctx;
    const { repoPath, targetBranch } = rt.rig;
    const tip = await git.resolveRef(repoPath, `refs/heads/${targetBranch}`);
    // Every file, not only the rig's own: a partition glob reaching outside the rig is refused.
    const files = await git.listFiles(repoPath, tip);
    const mrFiles = new Map<string, string[]>();
    for (const mr of rt.queue.all()) mrFiles.set(mr.id, await git.changedFiles(repoPath, tip, mr.headSha));
    return { files, mrFiles };
  }

  private compute(rt: RigRuntime, request: SplitRequest, survey: Survey) {
    const layout = splitLayout(rt.rig, request, survey.files, (name) => this.host.checkNewRigName(name));
    const rig = rt.rig;
    const spanning = new Set<string>();
    // A bead (and its request) goes by the request's real diff when there is one, else by its paths.
    const destination = (bead: Bead | undefined, mr: MergeRequest | undefined): string => {
      const files = mr ? survey.mrFiles.get(mr.id) : undefined;
      const touched =
        files && files.length > 0 ? files : bead && bead.paths.length > 0 ? expandPaths(bead.paths, survey.files) : [];
      const { to, spanning: spans } = layout.route(touched);
      if (spans) spanning.add(bead?.id ?? mr!.id);
      return to;
    };
    const beads = [...this.records.beads.values()].filter((b) => b.rig === rig.name);
    const mrs = rt.queue.all();
    const beadDest = new Map<string, string>();
    for (const bead of beads) {
      const mr = mrs.find((m) => m.beadId === bead.id);
      beadDest.set(bead.id, destination(bead, mr));
    }
    const mrDest = new Map(
      mrs.map((mr) => [mr.id, beadDest.get(mr.beadId) ?? destination(this.records.beads.get(mr.beadId), mr)]),
    );
    const dest: Destination = {
      bead: (b) => beadDest.get(b.id) ?? destination(b, undefined),
      mergeRequest: (mr) => mrDest.get(mr.id) ?? destination(this.records.beads.get(mr.beadId), mr),
      spanningTo: layout.spanningTo,
    };
    const warnings: string[] = [];
    const polecats = this.records.polecatsOf(rig.name);
    const busy = new Map<string, number>();
    for (const p of polecats) {
      const bead = p.beadId ? this.records.beads.get(p.beadId) : undefined;
      if (bead) busy.set(dest.bead(bead), (busy.get(dest.bead(bead)) ?? 0) + 1);
    }
    const work = new Map<string, number>();
    for (const b of beads) work.set(dest.bead(b), (work.get(dest.bead(b)) ?? 0) + 1);
    const counts = polecatCounts(layout, request, polecats.length, work, busy, warnings);
    const draft = this.distribute(rig.name, dest, counts, polecats, true);
    const mergesPerHour = this.host.mergesPerHour(rig.name);
    const drain = (depth: number) => (mergesPerHour ? Math.round((depth / mergesPerHour) * 600) / 10 : null);
    const partitions: PartitionPlan[] = layout.parts.map((p) => {
      const queued = mrs.filter((mr) => dest.mergeRequest(mr) === p.name);
      const queueDepth = queued.filter((mr) => isInQueue(mr)).length;
      return {
        name: p.name,
        role: p.role,
        scope: p.scope,
        scopeExclude: p.scopeExclude,
        files: p.files,
        beads: beads.filter((b) => dest.bead(b) === p.name).map((b) => b.id),
        mergeRequests: queued.map((mr) => mr.id),
        queueDepth,
        polecats: counts.get(p.name)!,
        moved: draft.reassigned.filter((x) => x.rig === p.name).map((x) => x.id),
        added: draft.shortfall.get(p.name) ?? 0,
        drainMinutes: drain(queueDepth),
      };
    });
    if (!mergesPerHour) warnings.push(`'${rig.name}' has no recorded merge rate yet: drain times are unknown`);
    const plan: SplitPlan = {
      rig: rig.name,
      retire: layout.retire,
      spanningTo: layout.spanningTo,
      partitions,
      spanning: {
        beads: beads.filter((b) => spanning.has(b.id)).map((b) => b.id),
        mergeRequests: mrs.filter((mr) => spanning.has(mr.beadId) || spanning.has(mr.id)).map((mr) => mr.id),
      },
      removedPolecats: draft.removed.map((p) => p.id),
      before: { queueDepth: rt.queue.depth(), polecats: polecats.length, mergesPerHour, drainMinutes: drain(rt.queue.depth()) },
      warnings,
    };
    return { plan, layout, destination: dest };
  }

  private moveWork(rt: RigRuntime, dest: Destination) {
    const beads: Bead[] = [];
    const mergeRequests: MergeRequest[] = [];
    for (const bead of this.records.beads.values()) {
      if (bead.rig !== rt.rig.name) continue;
      const to = dest.bead(bead);
      if (to === rt.rig.name) continue;
      bead.rig = to;
      beads.push(bead);
    }
    for (const mr of rt.queue.all()) {
      const bead = this.records.beads.get(mr.beadId);
      const to = bead ? bead.rig : dest.mergeRequest(mr);
      if (to === rt.rig.name) continue;
      rt.queue.release(mr.id);
      this.records.rig(to).queue.adopt(mr);
      mergeRequests.push(mr);
    }
    return { beads, mergeRequests, polecats: this.records.polecatsOf(rt.rig.name) };
  }

  /**
   * Which polecat goes where: busy ones follow their bead; idle ones fill the counts
   * asked for; idle ones left over are removed; missing ones are added afterwards.
   * `dryRun` only computes (polecats are not touched).
   */
  private distribute(rig: string, dest: Destination, counts: Map<string, number>, polecats: Polecat[], dryRun = false) {
    const reassigned: Polecat[] = [];
    const filled = new Map<string, number>();
    const idle: Polecat[] = [];
    const taken = new Map<string, Set<string>>();
    const move = (p: Polecat, to: string) => {
      filled.set(to, (filled.get(to) ?? 0) + 1);
      if (to === rig) return;
      if (dryRun) reassigned.push({ ...p, rig: to });
      else {
        if (!taken.has(to)) taken.set(to, new Set(this.records.polecatsOf(to).map((x) => x.name)));
        reassigned.push(this.rehome(p, to, taken.get(to)!));
      }
    };
    for (const p of polecats) {
      const bead = p.beadId ? this.records.beads.get(p.beadId) : undefined;
      if (bead) move(p, dryRun ? dest.bead(bead) : bead.rig);
      else idle.push(p);
    }
    for (const [to, count] of counts) {
      while ((filled.get(to) ?? 0) < count && idle.length > 0) move(idle.shift()!, to);
    }
    const shortfall = new Map<string, number>();
    for (const [to, count] of counts) if ((filled.get(to) ?? 0) < count) shortfall.set(to, count - (filled.get(to) ?? 0));
    const removed = idle; // idle polecats no count asked for
    if (!dryRun) for (const p of removed) this.records.dropPolecat(p.id);
    return { reassigned, removed, shortfall };
  }

  /**
   * Moves a polecat to another rig with a name unique there; its id, worktree and branch
   * follow once the move is stored (followRigs), a busy one's after its bead is done.
   */
  private rehome(p: Polecat, to: string, taken: Set<string>): Polecat {
    let name = p.name;
    for (let n = 2; taken.has(name); n++) name = `${p.name}-${n}`;
    taken.add(name);
    const from = p.rig;
    Object.assign(p, { rig: to, name });
    this.records.reindexPolecat(p); // re-indexed under its new rig
    this.ctx.emit({ type: 'polecat.moved', at: this.ctx.clock.now(), rig: to, from, polecat: p.id });
    return p;
  }

  /** After the records changed: start the new roles, remove worktrees of removed polecats, add missing polecats. */
  private finishMove(
    rigs: RigRuntime[],
    removed: Polecat[],
    parent: Rig,
    shortfall: Map<string, number>,
    patrolDue: number | null,
  ): void {
    for (const rt of rigs) {
      if (rt.rig.name !== parent.name && this.host.running()) rt.witness.start(patrolDue);
      rt.refinery.resume();
    }
    for (const p of removed) {
      this.ctx.emit({ type: 'polecat.removed', at: this.ctx.clock.now(), rig: parent.name, polecat: p.id });
      this.ctx.track(this.ctx.git.removeWorktree(parent.repoPath, p.worktreePath), `remove worktree of ${p.id}`);
    }
    for (const [rig, count] of shortfall) this.ctx.track(this.host.addPolecats(rig, count), `add polecats to ${rig}`);
  }
}

interface Destination {
  bead(bead: Bead): string;
  mergeRequest(mr: MergeRequest): string;
  spanningTo: string;
}
