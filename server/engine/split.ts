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
import type { Bead, MergeRequest, Polecat, Rig } from './model';
import { assignFiles, expandPaths, owns, suggestPartitions, type PartitionSpec, type SuggestedSplit } from './partitions';
import { matchesAny } from './paths';
import type { TownRecords, RigRuntime } from './records';

export interface SplitRequest {
  partitions: PartitionSpec[];
  /** Name for the partition that catches files no other matches (default `<rig>-rest`). */
  remainder?: string;
  /** Where work spanning partitions goes: a partition's name, or `stay` (the rig stays, as integration rig). */
  spanning?: string;
  /** Polecats per partition (and per the kept rig); default: in proportion to each one's work. */
  polecats?: Record<string, number>;
}

export type PartitionRole = 'partition' | 'remainder' | 'integration';

export interface PartitionPlan {
  name: string;
  role: PartitionRole;
  scope: string[];
  scopeExclude: string[];
  /** Files of the repository it owns. */
  files: number;
  beads: string[];
  mergeRequests: string[];
  /** Requests waiting or being merged that it takes over. */
  queueDepth: number;
  /** Polecats it will have, of which `moved` come from the rig and `added` are new. */
  polecats: number;
  moved: string[];
  added: number;
  /** Minutes to drain its queue at the rig's recorded merge rate; null without a rate. */
  drainMinutes: number | null;
}

export interface SplitPlan {
  rig: string;
  /** False when the rig stays as the integration rig. */
  retire: boolean;
  /** The rig taking work that spans partitions. */
  spanningTo: string;
  partitions: PartitionPlan[];
  spanning: { beads: string[]; mergeRequests: string[] };
  /** Idle polecats the split removes (their worktrees go; branches stay). */
  removedPolecats: string[];
  before: { queueDepth: number; polecats: number; mergesPerHour: number; drainMinutes: number | null };
  warnings: string[];
}

export interface MergeResult {
  rig: string;
  from: string[];
  beads: number;
  mergeRequests: number;
  polecats: number;
}

export interface SplitHost {
  attachRig(rig: Rig): RigRuntime;
  running(): boolean;
  addPolecats(rig: string, count: number): Promise<Polecat[]>;
  mergesPerHour(rig: string): number;
  checkNewRigName(name: string): void;
}

const MAX_POLECATS_PER_PARTITION = 50;

/** What git says about the rig being split, gathered before any record changes. */
interface Survey {
  files: string[];
  /** Changed files of each of the rig's merge requests. */
  mrFiles: Map<string, string[]>;
}

interface Layout {
  parts: Array<{ name: string; role: PartitionRole; scope: string[]; scopeExclude: string[]; globs: string[]; files: number }>;
  spanningTo: string;
  retire: boolean;
  /** Where a change touching these files goes, and whether it spans partitions. */
  route(files: string[]): { to: string; spanning: boolean };
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
    if (layout.retire) {
      parent.status = 'retired';
      rt.witness.stop();
    }
    const moved = this.moveWork(rt, destination);
    const counts = new Map(plan.partitions.map((p) => [p.name, p.polecats]));
    const { reassigned, removed, shortfall } = this.distribute(rt.rig.name, destination, counts, moved.polecats);
    await this.ctx.persistence.write((s) =>
      s.saveAll({
        rigs: [parent, ...created.map((c) => c.rig)].map((r) => structuredClone(r)),
        polecats: reassigned.map((p) => ({ ...p })),
        deletedPolecats: removed.map((p) => p.id),
        beads: moved.beads.map((b) => structuredClone(b)),
        mergeRequests: moved.mergeRequests.map((mr) => ({ ...mr })),
      }),
    );
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
    this.finishMove([...created, ...(layout.retire ? [] : [rt])], removed, rt.rig, shortfall);
    return plan;
  }

  /**
   * Undoes a split: the live partitions of `rigName` (the split rig, or one of its
   * partitions) go back into it, work, queues and polecats included, and are retired.
   */
  async merge(rigName: string, by: string): Promise<MergeResult> {
    const named = this.records.rig(rigName).rig;
    const parentName = named.lineage?.splitInto.length ? named.name : named.lineage?.splitFrom;
    if (!parentName) throw invalid(`rig '${rigName}' was not split and is not a partition: nothing to merge back`);
    const parent = this.records.rig(parentName);
    const children = (parent.rig.lineage?.splitInto ?? [])
      .map((name) => this.records.rigs.get(name))
      .filter((c): c is RigRuntime => !!c && c.rig.status !== 'retired');
    if (children.length === 0) throw conflict(`rig '${parentName}' has no live partitions to merge back`);
    for (const child of children) {
      if (child.rig.lineage?.splitInto.length) {
        throw conflict(`partition '${child.rig.name}' was split again; merge its own partitions back first`);
      }
    }
    await Promise.all([parent, ...children].map((r) => r.refinery.drain()));
    const now = this.ctx.clock.now();
    const beads: Bead[] = [];
    const mergeRequests: MergeRequest[] = [];
    const polecats: Polecat[] = [];
    const taken = new Set(this.records.polecatsOf(parent.rig.name).map((p) => p.name));
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
    const wasRetired = parent.rig.status === 'retired';
    parent.rig.status = 'active';
    parent.rig.lineage = { ...parent.rig.lineage!, splitInto: [], at: now };
    await this.ctx.persistence.write((s) =>
      s.saveAll({
        rigs: [parent.rig, ...children.map((c) => c.rig)].map((r) => structuredClone(r)),
        polecats: polecats.map((p) => ({ ...p })),
        deletedPolecats: [],
        beads: beads.map((b) => structuredClone(b)),
        mergeRequests: mergeRequests.map((mr) => ({ ...mr })),
      }),
    );
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
    if (wasRetired && this.host.running()) parent.witness.start();
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

  private layout(rt: RigRuntime, request: SplitRequest, files: string[]): Layout {
    const rig = rt.rig;
    if (request.partitions.length === 0) throw invalid('a split needs at least one partition');
    const fileOwner = assignFiles(rig.settings, request.partitions, files);
    const unowned = [...fileOwner.values()].filter((o) => o === undefined).length;
    const parts: Layout['parts'] = request.partitions.map((p) => ({
      name: p.name,
      role: 'partition',
      scope: p.globs,
      scopeExclude: [...rig.settings.scopeExclude],
      globs: p.globs,
      files: [...fileOwner.values()].filter((o) => o === p.name).length,
    }));
    const remainderName = request.remainder ?? `${rig.name}-rest`;
    if (unowned > 0) {
      parts.push({
        name: remainderName,
        role: 'remainder',
        scope: [...rig.settings.scope],
        scopeExclude: [...rig.settings.scopeExclude, ...request.partitions.flatMap((p) => p.globs)],
        globs: [],
        files: unowned,
      });
    } else if (request.remainder !== undefined) {
      throw invalid(
        `the partitions cover every file of '${rig.name}': there is nothing left for a remainder '${request.remainder}'`,
      );
    }
    if (parts.length < 2 && request.spanning !== 'stay') {
      throw invalid(
        `one partition covering all of '${rig.name}' is not a split; name at least two, or leave files to the remainder`,
      );
    }
    const names = new Set<string>();
    for (const p of parts) {
      if (names.has(p.name)) throw invalid(`two partitions are named '${p.name}'`);
      names.add(p.name);
      if (p.name === rig.name) throw invalid(`a partition cannot take the rig's own name '${rig.name}'`);
      this.host.checkNewRigName(p.name);
    }
    const retire = request.spanning !== 'stay';
    const spanningTo = !retire
      ? rig.name
      : (request.spanning ?? parts.find((p) => p.role === 'remainder')?.name ?? parts[0].name);
    if (!names.has(spanningTo) && spanningTo !== rig.name) {
      throw invalid(`spanning work can go to one of the partitions (${[...names].join(', ')}) or 'stay', not '${spanningTo}'`);
    }
    if (!retire)
      parts.push({
        name: rig.name,
        role: 'integration',
        scope: [...rig.settings.scope],
        scopeExclude: [...rig.settings.scopeExclude],
        globs: [],
        files: 0,
      });
    const explicit = parts.filter((p) => p.role === 'partition');
    const remainder = parts.find((p) => p.role === 'remainder');
    const ownerOf = (file: string): string | undefined => {
      const hit = explicit.find((p) => matchesAny(file, p.globs));
      if (hit) return hit.name;
      return remainder && owns(rig.settings, file) ? remainder.name : undefined;
    };
    const route = (touched: string[]) => {
      const owners = new Set(touched.map(ownerOf));
      if (owners.size === 1 && !owners.has(undefined)) return { to: [...owners][0]!, spanning: false };
      return { to: spanningTo, spanning: true };
    };
    return { parts, spanningTo, retire, route };
  }

  private compute(rt: RigRuntime, request: SplitRequest, survey: Survey) {
    const layout = this.layout(rt, request, survey.files);
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
    const counts = this.polecatCounts(layout, request, polecats.length, work, busy, warnings);
    const draft = this.distribute(rig.name, dest, counts, polecats, true);
    const mergesPerHour = this.host.mergesPerHour(rig.name);
    const drain = (depth: number) => (mergesPerHour > 0 ? Math.round((depth / mergesPerHour) * 600) / 10 : null);
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
    if (mergesPerHour === 0) warnings.push(`'${rig.name}' has no recorded merge rate yet: drain times are unknown`);
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

  private polecatCounts(
    layout: Layout,
    request: SplitRequest,
    total: number,
    work: Map<string, number>,
    busy: Map<string, number>,
    warnings: string[],
  ): Map<string, number> {
    const names = layout.parts.map((p) => p.name);
    for (const name of Object.keys(request.polecats ?? {})) {
      if (!names.includes(name)) throw invalid(`polecat count for '${name}', which is not a partition of this split`);
    }
    const counts = new Map<string, number>();
    const asked = request.polecats ?? {};
    // Largest-remainder shares of the rig's polecats, by work; at least one each.
    const weights = names.map((n) => work.get(n) ?? 0);
    const sum = weights.reduce((a, b) => a + b, 0);
    const share = names.map((_, i) => (sum > 0 ? (total * weights[i]) / sum : total / names.length));
    const base = share.map(Math.floor);
    let left = total - base.reduce((a, b) => a + b, 0);
    for (const i of share
      .map((s, i) => [s - Math.floor(s), i])
      .sort((a, b) => b[0] - a[0])
      .map(([, i]) => i)) {
      if (left-- <= 0) break;
      base[i]++;
    }
    names.forEach((name, i) => {
      const wanted = asked[name] ?? Math.max(1, base[i]);
      if (!Number.isInteger(wanted) || wanted < 0 || wanted > MAX_POLECATS_PER_PARTITION) {
        throw invalid(`polecats for '${name}' must be a whole number from 0 to ${MAX_POLECATS_PER_PARTITION}`);
      }
      const needed = busy.get(name) ?? 0;
      if (wanted < needed) warnings.push(`'${name}' gets ${needed} polecats, not ${wanted}: ${needed} are busy with its work`);
      counts.set(name, Math.max(wanted, needed));
    });
    return counts;
  }

  // ---------------------------------------------------------------- moving work

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

  /** Moves a polecat to another rig; its id, worktree and branch stay, its name stays unique in the rig. */
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
  private finishMove(rigs: RigRuntime[], removed: Polecat[], parent: Rig, shortfall: Map<string, number>): void {
    for (const rt of rigs) {
      if (rt.rig.name !== parent.name && this.host.running()) rt.witness.start();
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
