/**
 * Rigs, the projects under management: added, tuned (settings, Refinery workers), split
 * into path partitions and merged back, attached to and detached from this engine; and
 * what the pages ask of a rig's merge queue and Refinery.
 */
import type { AgentSessions } from './agent-sessions';
import type { EngineContext } from './context';
import { conflict, invalid, notFound } from './errors';
import type { MergeRequest, Rig, RigSettings } from '../../contracts/records';
import type { SuggestedSplit } from '../../contracts/split';
import type { TownRecords } from './records';
import { combineStats, type RefineryStatsSnapshot } from './refinery-stats';
import type { FetchResult } from './refinery';
import type { RigAttachment, RigRuntimes } from './rig-runtimes';
import { DEFAULT_RIG_SETTINGS, MAX_REFINERY_WORKERS, ZERO_COUNTERS, checkNewRigName } from './rig-settings';
import type { MergeResult, SplitPlan } from '../../contracts/split';
import type { SplitRequest, Splits } from './split';

export interface QueueState {
  /** Waiting for a worker. */
  pending: MergeRequest[];
  /** Held by workers (merging, validating, passed and waiting for their turn). */
  inFlight: Array<{ mr: MergeRequest; stage: string; worker: number }>;
}

/** What removing a rig left behind: what it detached, where its repository is, what was in flight. */
export interface RigRemoval extends RigAttachment {
  repoPath: string;
  /** Polecats that were busy (their beads stay open in the store). */
  interrupted: number;
  /** Merge requests that were queued or landing (a landing in hand finished first). */
  queued: number;
}

export class Rigs {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly runtimes: RigRuntimes,
    private readonly sessions: AgentSessions,
    private readonly splits: Splits,
  ) {}

  // ---------------------------------------------------------------- reading

  /** Rigs attached to this engine. */
  list(): Rig[] {
    return [...this.records.rigs.values()].map((r) => r.rig);
  }

  get(name: string): Rig | undefined {
    return this.records.rigs.get(name)?.rig;
  }

  /** Throws not_found for an unknown rig (for commands that only need to check). */
  require(name: string): Rig {
    const rig = this.get(name);
    if (!rig) throw notFound('rig', name);
    return rig;
  }

  /** A rig's merge queue in landing order (held by workers first, then waiting). */
  mergeQueue(rig: string): MergeRequest[] {
    return this.records.rig(rig).refinery.landingOrder();
  }

  queueState(rig: string): QueueState {
    const { refinery } = this.records.rig(rig);
    return { pending: refinery.pending(), inFlight: refinery.inFlight() };
  }

  queueDepth(rig: string): number {
    return this.records.rig(rig).queue.depth();
  }

  refineryBusy(rig: string): boolean {
    return this.records.rig(rig).refinery.busy;
  }

  busyWorkers(rig: string): number {
    return this.records.rig(rig).refinery.busyWorkers();
  }

  /** Sliding-window Refinery statistics of one rig, or of the whole town. */
  refineryStats(rig?: string): RefineryStatsSnapshot {
    const now = this.ctx.clock.now();
    if (rig) return this.records.rig(rig).refinery.stats.snapshot(now);
    return combineStats(
      [...this.records.rigs.values()].map((rt) => rt.refinery.stats),
      now,
    );
  }

  // ---------------------------------------------------------------- changing

  /** Refuses a name a new rig cannot take (malformed, or taken: retired and detached rigs keep theirs). */
  checkNewName(name: string): void {
    checkNewRigName(name, (n) => this.records.knowsRig(n));
  }

  /** Adds a rig for an existing git repository whose target branch exists. */
  async add(input: { name: string; repoPath: string; targetBranch?: string; settings?: Partial<RigSettings> }): Promise<Rig> {
    this.checkNewName(input.name);
    const targetBranch = input.targetBranch ?? 'main';
    await this.ctx.git.resolveRef(input.repoPath, `refs/heads/${targetBranch}`).catch(() => {
      throw invalid(`'${input.repoPath}' is not a git repository with a branch '${targetBranch}'`);
    });
    const rig: Rig = {
      name: input.name,
      repoPath: input.repoPath,
      targetBranch,
      status: 'active',
      settings: { ...DEFAULT_RIG_SETTINGS, ...input.settings },
      createdAt: this.ctx.clock.now(),
      counters: { ...ZERO_COUNTERS },
      lineage: null,
    };
    this.runtimes.attachNew(rig);
    this.records.saveRig(rig);
    this.ctx.emit({ type: 'rig.added', at: rig.createdAt, rig: rig.name, repoPath: rig.repoPath });
    return rig;
  }

  /** Changes rig settings (checks, merge mode, Witness interval, tier, agent tuning). */
  updateSettings(rigName: string, patch: Partial<RigSettings>): Rig {
    const rt = this.records.rig(rigName);
    const intervalBefore = rt.witness.intervalMs;
    const concurrencyBefore = rt.rig.settings.maxConcurrency;
    rt.rig.settings = { ...rt.rig.settings, ...patch };
    this.records.saveRig(rt.rig);
    if (rt.rig.settings.maxConcurrency !== concurrencyBefore) this.sessions.concurrencyChanged();
    this.ctx.emit({ type: 'rig.settings_changed', at: this.ctx.clock.now(), rig: rigName, settings: rt.rig.settings });
    if (this.runtimes.isRunning && rt.witness.intervalMs !== intervalBefore) rt.witness.reschedule();
    rt.refinery.kick();
    return rt.rig;
  }

  /** Scales the rig's Refinery: 1 to MAX_REFINERY_WORKERS workers validating in parallel. */
  setRefineryWorkers(rigName: string, workers: number, actor: string): Rig {
    const rt = this.records.rig(rigName);
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_REFINERY_WORKERS) {
      throw invalid(`refinery workers must be an integer from 1 to ${MAX_REFINERY_WORKERS}, got ${workers}`);
    }
    if (rt.rig.status === 'retired') throw conflict(`rig '${rigName}' is retired`);
    const from = rt.rig.settings.refineryWorkers;
    this.updateSettings(rigName, { refineryWorkers: workers });
    this.ctx.emit({ type: 'refinery.workers_changed', at: this.ctx.clock.now(), rig: rigName, from, to: workers, actor });
    return rt.rig;
  }

  /** What splitting a rig into path partitions would do (a dry run; see split.ts). */
  planSplit(rig: string, request: SplitRequest): Promise<SplitPlan> {
    return this.splits.plan(rig, request);
  }

  /** Splits a rig into path partitions, each with its own Refinery, Witness and queue. */
  async split(rig: string, request: SplitRequest, by: string): Promise<SplitPlan> {
    this.requireLive(rig);
    return this.splits.apply(rig, request, by);
  }

  /** Merges a split rig's partitions back into it (undo of split). */
  async merge(rig: string, by: string): Promise<MergeResult> {
    this.requireLive(rig);
    return this.splits.merge(rig, by);
  }

  /** Refuses to reshape a rig that is being detached (its work is leaving memory). */
  private requireLive(rig: string): void {
    if (this.records.rig(rig).detaching) throw conflict(`rig '${rig}' is being detached`);
  }

  /** Partitions suggested from the files the rig's recent work touched. */
  async suggestSplit(rig: string, max?: number): Promise<SuggestedSplit> {
    this.records.rig(rig);
    const history = await this.ctx.persistence.store.listMergeRequests({ rig, status: ['merged', 'conflicted'], limit: 200 });
    return this.splits.suggest(rig, history, max);
  }

  /**
   * Removes a rig from the town: refused while work is in flight (busy polecats, merge
   * requests queued or landing) unless `drain`. Then dispatch to it stops, a landing in
   * hand finishes (detach drains the Refinery), its polecats' worktrees go and their
   * records with them; the rig stays in the store as `retired`, so its name stays taken
   * and its history (beads, merge requests, events) stays queryable. Its repository stays
   * on disk (purging it is the caller's: server/rigs/rig-cloner.ts).
   */
  async remove(name: string, options: { drain: boolean }, by: string): Promise<RigRemoval> {
    const rt = this.records.rig(name);
    this.requireLive(name);
    const polecats = this.records.polecatsOf(name);
    const busy = polecats.filter((p) => p.state !== 'idle').length;
    const queued = rt.queue.all().filter((mr) => mr.status === 'queued' || mr.status === 'merging').length;
    if ((busy > 0 || queued > 0) && !options.drain)
      throw conflict(
        `rig '${name}' has work in flight (${busy} busy polecats, ${queued} merge requests); remove it with --drain`,
      );
    const from = rt.rig.status;
    rt.rig.status = 'retired';
    this.records.saveRig(rt.rig);
    this.ctx.emit({ type: 'rig.status_changed', at: this.ctx.clock.now(), rig: name, from, to: 'retired', by });
    const detached = await this.runtimes.detach(name);
    for (const p of polecats) await this.ctx.git.removeWorktree(rt.rig.repoPath, p.worktreePath);
    await this.records.commit({ deletedPolecats: polecats.map((p) => p.id) });
    this.ctx.emit({ type: 'rig.removed', at: this.ctx.clock.now(), rig: name, purged: false, by });
    return { ...detached, repoPath: rt.rig.repoPath, interrupted: busy, queued };
  }

  /**
   * Fetches a rig's upstream now and moves its target onto it (a rig landing upstream also
   * does this every `fetchIntervalMs`), so new polecat work starts from what the team pushed.
   */
  async fetch(name: string): Promise<FetchResult> {
    const rt = this.records.rig(name);
    if (rt.rig.settings.landing !== 'upstream') throw conflict(`rig '${name}' lands locally: it has no upstream to fetch`);
    return rt.refinery.fetchUpstream();
  }

  /**
   * Attaches a stored rig: loads its records, reconciles them with git and starts its
   * roles (the seam a rig added while the town runs, or taken over from a dead node,
   * comes through). Other rigs keep running.
   */
  attach(name: string): Promise<RigAttachment> {
    return this.runtimes.attach(name);
  }

  /**
   * Detaches a rig: a landing in hand finishes, its timers stop, its agents are cancelled
   * (worktrees kept) and its records leave memory; the store stays consistent, so a later
   * attach picks the work up. Other rigs keep running.
   */
  detach(name: string): Promise<RigAttachment> {
    return this.runtimes.detach(name);
  }
}
