/**
 * The Town: the aggregate root of the engine. It owns the records in play (rigs,
 * polecats, beads, convoys, merge queues), wires the roles (Refinery per rig, the
 * Mayor's dispatch, polecat work) and is the only place that changes them. Every change
 * is written through to the store and announced on the event bus.
 *
 * Life cycle: `Town.open` loads the persisted state and reconciles it with git (the store
 * is the truth for intent, git for what landed); `start` resumes work; `stop` lets the
 * merge in hand finish, parks the agents (their worktrees are kept) and drains writes.
 */
import path from 'node:path';
import type { Clock } from './clock';
import { EngineContext, silentLogger, type Logger } from './context';
import { conflict, invalid, notFound } from './errors';
import { EventBus } from './events';
import { MergeQueue } from './merge-queue';
import { planDispatch } from './mayor';
import type { Bead, BeadStatus, Convoy, MergeRequest, Polecat, Rig, RigCounters, RigSettings } from './model';
import { nextPolecatState, type PolecatEvent } from './polecat';
import { Persistence } from './persistence';
import type { AgentHandle, AgentOutcome, AgentRuntime, GatePort, GitPort, TownStore } from './ports';
import { EscalationBook } from './escalations';
import { RefineryStats, combineStats, type RefineryStatsSnapshot } from './refinery-stats';
import { makeId, seededRandom, type Random } from './random';
import { Refinery } from './refinery';

export interface TownOptions {
  clock: Clock;
  git: GitPort;
  store: TownStore;
  agents: AgentRuntime;
  gates: GatePort;
  /** Where polecat worktrees live: `<workDir>/worktrees/<rig>/<polecat>`. */
  workDir: string;
  random?: Random;
  bus?: EventBus;
  log?: Logger;
}

export const DEFAULT_RIG_SETTINGS: RigSettings = {
  refineryWorkers: 1,
  mergeMode: 'speculative',
  batchSize: 4,
  gates: [],
  maxAttempts: 4,
  // 10 minutes of waiting is worth one priority level (see effectivePriority).
  agingStepMs: 10 * 60_000,
  agentWorkMs: 12_000,
  agentFailureRate: 0,
};

const ZERO_COUNTERS: RigCounters = { merged: 0, conflicts: 0, rejected: 0, reworkedMerged: 0 };

/** Upper bound on Refinery workers per rig (the seed's "multiple Refinery instances"). */
export const MAX_REFINERY_WORKERS = 16;

/** Names polecats are given, in order, per rig (Gas Town's are from Mad Max). */
const POLECAT_NAMES = [
  'furiosa',
  'nux',
  'slit',
  'rictus',
  'capable',
  'toast',
  'dag',
  'cheedo',
  'ace',
  'morsov',
  'keeper',
  'valkyrie',
  'corpus',
  'scrotus',
  'organic',
  'prime',
  'miss',
  'giddy',
  'glory',
  'angharad',
];

const RIG_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

interface RigRuntime {
  rig: Rig;
  queue: MergeQueue;
  refinery: Refinery;
}

export interface QueueState {
  /** Waiting for a worker. */
  pending: MergeRequest[];
  /** Held by workers (merging, validating, passed and waiting for their turn). */
  inFlight: Array<{ mr: MergeRequest; stage: string; worker: number }>;
}

export class Town {
  readonly ctx: EngineContext;
  private readonly rigs = new Map<string, RigRuntime>();
  private readonly polecats = new Map<string, Polecat>();
  private readonly beads = new Map<string, Bead>();
  private readonly convoys = new Map<string, Convoy>();
  private readonly agents = new Map<string, AgentHandle>();
  private escalationBook!: EscalationBook;
  private dispatchPending = false;
  private running = false;
  private resumed = false;

  private constructor(private readonly options: TownOptions) {
    const log = options.log ?? silentLogger;
    const persistence = new Persistence(options.store, (err) => log.error('store write failed', { error: String(err) }));
    this.ctx = new EngineContext(
      options.clock,
      options.git,
      options.agents,
      persistence,
      options.random ?? seededRandom(options.clock.now()),
      options.bus ?? new EventBus((err) => log.error('event listener failed', { error: String(err) })),
      log,
    );
  }

  /** Loads the persisted town and reconciles it with git. Does not start work. */
  static async open(options: TownOptions): Promise<Town> {
    const town = new Town(options);
    const state = await options.store.loadTown();
    for (const rig of state.rigs) {
      rig.settings = { ...DEFAULT_RIG_SETTINGS, ...rig.settings };
      rig.counters = { ...ZERO_COUNTERS, ...rig.counters };
      const mrs = state.mergeRequests.filter((mr) => mr.rig === rig.name);
      town.attachRig(rig, mrs);
    }
    for (const p of state.polecats) town.polecats.set(p.id, p);
    for (const b of state.beads) town.beads.set(b.id, b);
    for (const c of state.convoys) town.convoys.set(c.id, c);
    town.escalationBook = new EscalationBook(town.ctx, state.escalations);
    town.resumed = state.rigs.length > 0;
    await town.reconcile();
    return town;
  }

  get bus(): EventBus {
    return this.ctx.bus;
  }

  get clock(): Clock {
    return this.ctx.clock;
  }

  // ---------------------------------------------------------------- reading

  listRigs(): Rig[] {
    return [...this.rigs.values()].map((r) => r.rig);
  }

  getRig(name: string): Rig | undefined {
    return this.rigs.get(name)?.rig;
  }

  listPolecats(rig?: string): Polecat[] {
    const all = [...this.polecats.values()];
    return rig ? all.filter((p) => p.rig === rig) : all;
  }

  /** Beads still in play (not done or closed). */
  listActiveBeads(): Bead[] {
    return [...this.beads.values()];
  }

  getActiveBead(id: string): Bead | undefined {
    return this.beads.get(id);
  }

  listConvoys(): Convoy[] {
    return [...this.convoys.values()];
  }

  /** A rig's merge queue in landing order (held by workers first, then waiting). */
  mergeQueue(rig: string): MergeRequest[] {
    return this.rigRuntime(rig).refinery.landingOrder();
  }

  queueState(rig: string): QueueState {
    const { refinery } = this.rigRuntime(rig);
    return { pending: refinery.pending(), inFlight: refinery.inFlight() };
  }

  queueDepth(rig: string): number {
    return this.rigRuntime(rig).queue.depth();
  }

  refineryBusy(rig: string): boolean {
    return this.rigRuntime(rig).refinery.busy;
  }

  busyWorkers(rig: string): number {
    return this.rigRuntime(rig).refinery.busyWorkers();
  }

  /** Sliding-window Refinery statistics of one rig, or of the whole town. */
  refineryStats(rig?: string): RefineryStatsSnapshot {
    const now = this.clock.now();
    if (rig) return this.rigRuntime(rig).refinery.stats.snapshot(now);
    return combineStats(
      [...this.rigs.values()].map((rt) => rt.refinery.stats),
      now,
    );
  }

  get escalations(): EscalationBook {
    return this.escalationBook;
  }

  // ---------------------------------------------------------------- life cycle

  /** Resumes agents, Refineries and dispatch. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const p of this.polecats.values()) this.resumePolecat(p);
    for (const rt of this.rigs.values()) rt.refinery.kick();
    this.scheduleDispatch();
    this.ctx.emit({
      type: 'town.started',
      at: this.clock.now(),
      rigs: this.rigs.size,
      polecats: this.polecats.size,
      resumed: this.resumed,
    });
  }

  /**
   * Graceful stop: no new work is taken, the merge in hand finishes (so the target never
   * holds a half-landed request), agents are cancelled with their worktrees kept, and
   * every write is flushed. The store stays open; its owner closes it.
   */
  async stop(): Promise<void> {
    this.running = false;
    for (const rt of this.rigs.values()) rt.refinery.stop();
    for (const handle of this.agents.values()) handle.cancel();
    await this.ctx.settle();
  }

  /** Waits until all in-flight work and writes are done (tests, simulations). */
  settle(): Promise<void> {
    return this.ctx.settle();
  }

  // ---------------------------------------------------------------- rigs and polecats

  /** Adds a rig for an existing git repository whose target branch exists. */
  async addRig(input: { name: string; repoPath: string; targetBranch?: string; settings?: Partial<RigSettings> }): Promise<Rig> {
    if (!RIG_NAME.test(input.name)) throw invalid(`rig name '${input.name}' must match ${RIG_NAME}`);
    if (this.rigs.has(input.name)) throw conflict(`rig '${input.name}' already exists`);
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
      createdAt: this.clock.now(),
      counters: { ...ZERO_COUNTERS },
    };
    this.attachRig(rig, []);
    this.saveRig(rig);
    this.ctx.emit({ type: 'rig.added', at: rig.createdAt, rig: rig.name, repoPath: rig.repoPath });
    return rig;
  }

  /** Adds `count` polecats to a rig, each with its own worktree and branch. */
  async addPolecats(rigName: string, count: number): Promise<Polecat[]> {
    const { rig } = this.rigRuntime(rigName);
    const tip = await this.ctx.git.resolveRef(rig.repoPath, `refs/heads/${rig.targetBranch}`);
    const added: Polecat[] = [];
    const taken = new Set(this.listPolecats(rigName).map((p) => p.name));
    for (let i = 0; added.length < count; i++) {
      const name =
        POLECAT_NAMES[i % POLECAT_NAMES.length] +
        (i >= POLECAT_NAMES.length ? `-${Math.floor(i / POLECAT_NAMES.length) + 1}` : '');
      if (taken.has(name)) continue;
      taken.add(name);
      const polecat: Polecat = {
        id: `${rigName}/${name}`,
        rig: rigName,
        name,
        state: 'idle',
        beadId: null,
        branch: `polecat/${name}`,
        worktreePath: path.join(this.options.workDir, 'worktrees', rigName, name),
        lastHeartbeatAt: null,
        lastProgressAt: null,
        stateSince: this.clock.now(),
        tokensUsed: 0,
      };
      await this.ctx.git.ensureWorktree(rig.repoPath, polecat.worktreePath, polecat.branch, tip);
      this.polecats.set(polecat.id, polecat);
      this.savePolecat(polecat);
      this.ctx.emit({ type: 'polecat.added', at: this.clock.now(), rig: rigName, polecat: polecat.id });
      added.push(polecat);
    }
    this.scheduleDispatch();
    return added;
  }

  /** Scales the rig's Refinery: 1 to MAX_REFINERY_WORKERS workers validating in parallel. */
  setRefineryWorkers(rigName: string, workers: number, actor: string): Rig {
    const rt = this.rigRuntime(rigName);
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_REFINERY_WORKERS) {
      throw invalid(`refinery workers must be an integer from 1 to ${MAX_REFINERY_WORKERS}, got ${workers}`);
    }
    if (rt.rig.status === 'retired') throw conflict(`rig '${rigName}' is retired`);
    const from = rt.rig.settings.refineryWorkers;
    rt.rig.settings = { ...rt.rig.settings, refineryWorkers: workers };
    this.saveRig(rt.rig);
    this.ctx.emit({ type: 'refinery.workers_changed', at: this.clock.now(), rig: rigName, from, to: workers, actor });
    this.ctx.emit({ type: 'rig.settings_changed', at: this.clock.now(), rig: rigName, settings: rt.rig.settings });
    rt.refinery.kick();
    return rt.rig;
  }

  /** Changes rig settings other than the worker count (gates, merge mode, agent tuning). */
  updateRigSettings(rigName: string, patch: Partial<RigSettings>): Rig {
    const rt = this.rigRuntime(rigName);
    rt.rig.settings = { ...rt.rig.settings, ...patch };
    this.saveRig(rt.rig);
    this.ctx.emit({ type: 'rig.settings_changed', at: this.clock.now(), rig: rigName, settings: rt.rig.settings });
    rt.refinery.kick();
    return rt.rig;
  }

  // ---------------------------------------------------------------- beads and convoys

  createBead(input: {
    title: string;
    description?: string;
    priority?: number;
    labels?: string[];
    dependsOn?: string[];
    paths?: string[];
    rig: string;
    convoyId?: string | null;
  }): Bead {
    this.rigRuntime(input.rig);
    for (const dep of input.dependsOn ?? []) {
      if (!this.beads.has(dep)) throw invalid(`dependency '${dep}' is not an open bead`);
    }
    const now = this.clock.now();
    const bead: Bead = {
      id: this.newId('gt', (id) => this.beads.has(id)),
      title: input.title,
      description: input.description ?? '',
      status: 'open',
      priority: input.priority ?? 2,
      labels: input.labels ?? [],
      dependsOn: input.dependsOn ?? [],
      paths: input.paths ?? [],
      rig: input.rig,
      assignee: null,
      convoyId: input.convoyId ?? null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    this.beads.set(bead.id, bead);
    this.saveBead(bead);
    this.ctx.emit({ type: 'bead.created', at: now, rig: bead.rig, bead: bead.id, title: bead.title, convoy: bead.convoyId });
    this.scheduleDispatch();
    return bead;
  }

  /** Creates a convoy and as many beads as given, tracked together. */
  createConvoy(title: string, beads: Array<Omit<Parameters<Town['createBead']>[0], 'convoyId'>>): Convoy {
    for (const b of beads) this.rigRuntime(b.rig);
    const convoy: Convoy = {
      id: this.newId('cv', (id) => this.convoys.has(id)),
      title,
      status: 'open',
      beadIds: [],
      createdAt: this.clock.now(),
      closedAt: null,
    };
    this.convoys.set(convoy.id, convoy);
    for (const b of beads) convoy.beadIds.push(this.createBead({ ...b, convoyId: convoy.id }).id);
    this.saveConvoy(convoy);
    this.ctx.emit({ type: 'convoy.created', at: convoy.createdAt, convoy: convoy.id, title, beads: beads.length });
    return convoy;
  }

  // ---------------------------------------------------------------- dispatch and work

  private scheduleDispatch(): void {
    if (this.dispatchPending || !this.running) return;
    this.dispatchPending = true;
    // A zero-delay timer coalesces a burst of triggers into one dispatch pass.
    this.clock.setTimer(0, () => {
      this.dispatchPending = false;
      if (this.running) this.dispatch();
    });
  }

  private dispatch(): void {
    const assignments = planDispatch({
      rigs: this.listRigs(),
      beads: this.beads.values(),
      idlePolecats: (rig) => this.listPolecats(rig).filter((p) => p.state === 'idle'),
      beadStatus: (id) => this.beads.get(id)?.status,
    });
    for (const { bead, polecat } of assignments) {
      this.setBeadStatus(bead, 'hooked', { assignee: polecat.id });
      this.movePolecat(polecat, 'assign', { beadId: bead.id });
      this.ctx.track(this.beginWork(polecat, bead, 'fresh', true), `work on ${bead.id}`);
    }
  }

  /** Prepares the worktree and runs the agent; `reset` starts from the target's tip. */
  private async beginWork(polecat: Polecat, bead: Bead, mode: 'fresh' | 'rework', reset: boolean): Promise<void> {
    const { rig } = this.rigRuntime(polecat.rig);
    const tip = await this.ctx.git.resolveRef(rig.repoPath, `refs/heads/${rig.targetBranch}`);
    await this.ctx.git.ensureWorktree(rig.repoPath, polecat.worktreePath, polecat.branch, tip);
    if (reset) await this.ctx.git.resetWorktree(polecat.worktreePath, tip);
    if (!this.running) return; // stopped meanwhile: the polecat resumes on next start
    if (bead.status === 'hooked') this.setBeadStatus(bead, 'in_progress');
    const mr = mode === 'rework' ? this.mergeRequestFor(polecat) : undefined;
    const handle = this.ctx.agents.start({
      rig,
      polecat,
      bead,
      mode,
      attempt: mr ? mr.attempts + 1 : 1,
      track: (work) => this.ctx.during(work),
      heartbeat: () => {
        polecat.lastHeartbeatAt = this.clock.now();
      },
      reportUsage: (usage) => {
        polecat.tokensUsed += usage.inputTokens + usage.outputTokens;
        polecat.lastHeartbeatAt = this.clock.now();
        this.ctx.emit({ type: 'agent.usage', at: this.clock.now(), rig: rig.name, polecat: polecat.id, bead: bead.id, ...usage });
      },
    });
    this.agents.set(polecat.id, handle);
    // Not tracked: an agent waits on the clock, and settle() must not wait for the clock.
    void handle.done.then(
      (outcome) => {
        this.agents.delete(polecat.id);
        this.finishWork(polecat, bead, mode, outcome);
      },
      (err: unknown) => this.ctx.log.error('agent crashed', { polecat: polecat.id, error: String(err) }),
    );
  }

  private finishWork(polecat: Polecat, bead: Bead, mode: 'fresh' | 'rework', outcome: AgentOutcome): void {
    if (outcome.kind === 'cancelled') return; // stop(): state stays, work resumes on restart
    const { queue, refinery, rig } = this.rigRuntime(polecat.rig);
    const now = this.clock.now();
    const existing = this.mergeRequestFor(polecat);
    if (outcome.kind === 'failed') {
      this.ctx.emit({ type: 'agent.failed', at: now, rig: rig.name, polecat: polecat.id, bead: bead.id, reason: outcome.reason });
      if (existing) void queue.transition(existing, 'abandon');
      this.setBeadStatus(bead, 'open', { assignee: null });
      this.movePolecat(polecat, 'fail', { beadId: null });
      this.scheduleDispatch();
      return;
    }
    polecat.lastProgressAt = now;
    this.ctx.emit({ type: 'polecat.committed', at: now, rig: rig.name, polecat: polecat.id, bead: bead.id, head: outcome.head });
    if (mode === 'rework' && existing) {
      void queue.transition(existing, 'resubmit', { headSha: outcome.head, attempts: existing.attempts + 1 });
      this.ctx.emit({
        type: 'mr.enqueued',
        at: now,
        rig: rig.name,
        mr: existing.id,
        bead: bead.id,
        polecat: polecat.id,
        attempt: existing.attempts,
      });
    } else {
      queue.enqueue({
        id: this.newId('mr', (id) => queue.get(id) !== undefined),
        rig: rig.name,
        polecatId: polecat.id,
        beadId: bead.id,
        branch: polecat.branch,
        headSha: outcome.head,
        status: 'queued',
        priority: bead.priority,
        attempts: 1,
        mergeCommit: null,
        conflictFiles: [],
        failedGate: null,
        gateOutput: null,
        enqueuedAt: now,
        updatedAt: now,
        landedAt: null,
      });
    }
    this.movePolecat(polecat, 'submit');
    refinery.kick();
  }

  private onLanded(rt: RigRuntime, mr: MergeRequest): void {
    rt.rig.counters.merged++;
    if (mr.attempts > 1) rt.rig.counters.reworkedMerged++;
    this.saveRig(rt.rig);
    const bead = this.beads.get(mr.beadId);
    if (bead) this.completeBead(bead);
    const polecat = this.polecats.get(mr.polecatId);
    if (polecat && polecat.beadId === mr.beadId && polecat.state === 'submitted') {
      this.movePolecat(polecat, 'land', { beadId: null });
    }
    this.scheduleDispatch();
  }

  private onConflicted(rt: RigRuntime, mr: MergeRequest): void {
    rt.rig.counters.conflicts++;
    this.saveRig(rt.rig);
    this.ctx.emit({
      type: 'mr.conflicted',
      at: this.clock.now(),
      rig: rt.rig.name,
      mr: mr.id,
      bead: mr.beadId,
      files: mr.conflictFiles,
      attempts: mr.attempts,
    });
    this.sendBack(rt, mr, 'conflict', `conflicts in ${mr.conflictFiles.join(', ') || 'the target'}`);
  }

  private onRejected(rt: RigRuntime, mr: MergeRequest, gate: string, output: string): void {
    rt.rig.counters.rejected++;
    this.saveRig(rt.rig);
    this.ctx.emit({
      type: 'mr.rejected',
      at: this.clock.now(),
      rig: rt.rig.name,
      mr: mr.id,
      bead: mr.beadId,
      gate,
      output: output.slice(-2_000),
      attempts: mr.attempts,
    });
    this.sendBack(rt, mr, 'reject', `gate '${gate}' failed`);
  }

  /**
   * The conflict loop: a request that conflicted or failed a gate goes back to its
   * polecat for rework (rebase on the new target, resubmit), until it has been submitted
   * `maxAttempts` times; then it is escalated and the bead is blocked for a person.
   */
  private sendBack(rt: RigRuntime, mr: MergeRequest, event: 'conflict' | 'reject', why: string): void {
    const polecat = this.polecats.get(mr.polecatId);
    const bead = this.beads.get(mr.beadId);
    if (mr.attempts >= rt.rig.settings.maxAttempts) {
      void rt.queue.transition(mr, 'escalate');
      const reason = `${mr.id} for ${mr.beadId} failed ${mr.attempts} times (last: ${why})`;
      this.ctx.emit({
        type: 'mr.escalated',
        at: this.clock.now(),
        rig: rt.rig.name,
        mr: mr.id,
        bead: mr.beadId,
        attempts: mr.attempts,
        reason,
      });
      this.escalationBook.raise({
        severity: 'high',
        source: 'refinery',
        reason,
        rig: rt.rig.name,
        beadId: mr.beadId,
        polecatId: mr.polecatId,
        mergeRequestId: mr.id,
      });
      if (bead) this.setBeadStatus(bead, 'blocked', { assignee: null });
      if (polecat && polecat.beadId === mr.beadId && polecat.state !== 'idle')
        this.movePolecat(polecat, 'release', { beadId: null });
      this.scheduleDispatch();
      return;
    }
    if (!polecat || !bead || polecat.beadId !== bead.id) return;
    this.movePolecat(polecat, event);
    if (this.running) this.ctx.track(this.beginWork(polecat, bead, 'rework', true), `rework of ${bead.id}`);
  }

  private completeBead(bead: Bead): void {
    this.setBeadStatus(bead, 'done', { closedAt: this.clock.now() });
    this.beads.delete(bead.id);
    const convoy = bead.convoyId ? this.convoys.get(bead.convoyId) : undefined;
    if (convoy && convoy.status === 'open' && convoy.beadIds.every((id) => !this.beads.has(id))) {
      convoy.status = 'landed';
      convoy.closedAt = this.clock.now();
      this.saveConvoy(convoy);
      this.convoys.delete(convoy.id);
      this.ctx.emit({ type: 'convoy.landed', at: convoy.closedAt, convoy: convoy.id });
    }
  }

  // ---------------------------------------------------------------- restart

  /**
   * Makes the loaded state agree with git after a stop or a crash:
   * - a request caught mid-merge landed iff its recorded merge commit is on the target;
   *   otherwise it goes back to the queue (never lands twice, never lost);
   * - a bead marked as taken by a polecat that no longer holds it goes back to open.
   */
  private async reconcile(): Promise<void> {
    for (const rt of this.rigs.values()) {
      const target = `refs/heads/${rt.rig.targetBranch}`;
      const tip = await this.ctx.git.resolveRef(rt.rig.repoPath, target);
      for (const mr of rt.queue.all()) {
        if (mr.status !== 'merging') continue;
        const landed = mr.mergeCommit !== null && (await this.ctx.git.isAncestor(rt.rig.repoPath, mr.mergeCommit, tip));
        if (landed) {
          await rt.queue.transition(mr, 'land', { landedAt: this.clock.now() });
          this.onLanded(rt, mr);
        } else {
          await rt.queue.transition(mr, 'requeue', { mergeCommit: null });
          this.ctx.emit({
            type: 'mr.requeued',
            at: this.clock.now(),
            rig: rt.rig.name,
            mr: mr.id,
            reason: 'restart before landing',
          });
        }
      }
    }
    for (const bead of this.beads.values()) {
      if (bead.status !== 'hooked' && bead.status !== 'in_progress') continue;
      const holder = bead.assignee ? this.polecats.get(bead.assignee) : undefined;
      if (!holder || holder.beadId !== bead.id) this.setBeadStatus(bead, 'open', { assignee: null });
    }
    await this.ctx.settle();
  }

  /** Picks a polecat's work up again after a restart, keeping its worktree as it is. */
  private resumePolecat(p: Polecat): void {
    const bead = p.beadId ? this.beads.get(p.beadId) : undefined;
    if (p.state === 'idle') return;
    if (!bead) {
      this.movePolecat(p, 'release', { beadId: null });
      return;
    }
    const mr = this.mergeRequestFor(p);
    if (p.state === 'submitted') {
      if (mr?.status === 'conflicted' || mr?.status === 'rejected') this.onConflictedResume(p, bead);
      else if (!mr) this.ctx.track(this.beginWork(p, bead, 'fresh', false), `resume ${bead.id}`);
      return;
    }
    const mode = p.state === 'reworking' ? 'rework' : 'fresh';
    this.ctx.track(this.beginWork(p, bead, mode, false), `resume ${bead.id}`);
  }

  private onConflictedResume(p: Polecat, bead: Bead): void {
    this.movePolecat(p, 'conflict');
    this.ctx.track(this.beginWork(p, bead, 'rework', true), `rework of ${bead.id}`);
  }

  // ---------------------------------------------------------------- helpers

  private attachRig(rig: Rig, mrs: MergeRequest[]): void {
    const queue = new MergeQueue(this.ctx, rig.name, mrs);
    const rt: RigRuntime = { rig, queue, refinery: undefined as unknown as Refinery };
    rt.refinery = new Refinery(this.ctx, rig, queue, this.options.gates, new RefineryStats(this.clock.now()), {
      landed: (mr) => this.onLanded(rt, mr),
      conflicted: (mr) => this.onConflicted(rt, mr),
      rejected: (mr, gate, output) => this.onRejected(rt, mr, gate, output),
    });
    this.rigs.set(rig.name, rt);
  }

  private rigRuntime(name: string): RigRuntime {
    const rt = this.rigs.get(name);
    if (!rt) throw notFound('rig', name);
    return rt;
  }

  /** The polecat's unfinished merge request for its current bead, if any. */
  private mergeRequestFor(polecat: Polecat): MergeRequest | undefined {
    if (!polecat.beadId) return undefined;
    return this.rigRuntime(polecat.rig)
      .queue.all()
      .find((mr) => mr.polecatId === polecat.id && mr.beadId === polecat.beadId);
  }

  private movePolecat(p: Polecat, event: PolecatEvent, patch: Partial<Polecat> = {}): void {
    const from = p.state;
    const to = nextPolecatState(from, event);
    Object.assign(p, patch, { state: to, stateSince: this.clock.now() });
    this.savePolecat(p);
    this.ctx.emit({ type: 'polecat.state_changed', at: p.stateSince, rig: p.rig, polecat: p.id, from, to, bead: p.beadId });
  }

  private setBeadStatus(bead: Bead, to: BeadStatus, patch: Partial<Bead> = {}): void {
    const from = bead.status;
    Object.assign(bead, patch, { status: to, updatedAt: this.clock.now() });
    this.saveBead(bead);
    if (from !== to) this.ctx.emit({ type: 'bead.status_changed', at: bead.updatedAt, rig: bead.rig, bead: bead.id, from, to });
  }

  private newId(prefix: string, taken: (id: string) => boolean): string {
    for (;;) {
      const id = makeId(prefix, this.ctx.random);
      if (!taken(id)) return id;
    }
  }

  private saveRig(rig: Rig): void {
    const copy = structuredClone(rig);
    void this.ctx.persistence.write((s) => s.saveRig(copy));
  }

  private savePolecat(p: Polecat): void {
    const copy = { ...p };
    void this.ctx.persistence.write((s) => s.savePolecat(copy));
  }

  private saveBead(b: Bead): void {
    const copy = structuredClone(b);
    void this.ctx.persistence.write((s) => s.saveBead(copy));
  }

  private saveConvoy(c: Convoy): void {
    const copy = structuredClone(c);
    void this.ctx.persistence.write((s) => s.saveConvoy(copy));
  }
}
