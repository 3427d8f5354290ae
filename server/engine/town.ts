/**
 * The Town: the aggregate root of the engine and its one public face. It loads the
 * records (records.ts), wires the roles (a Refinery and a Witness per rig, polecat work,
 * the Deacon's supervision, gates, escalations) and exposes what operators may read and
 * do. Every change is written through to the store and announced on the event bus.
 *
 * Life cycle: `Town.open` loads the persisted state and reconciles it with git (the store
 * is the truth for intent, git for what landed); `start` resumes work; `stop` lets the
 * merge in hand finish, parks the agents (their worktrees are kept) and drains writes.
 */
import path from 'node:path';
import type { Clock } from './clock';
import { EngineContext, silentLogger, type Logger } from './context';
import { conflict, invalid, notFound } from './errors';
import { EscalationBook } from './escalations';
import { EventBus } from './events';
import { CostMeter } from './costs';
import { Convoys, type WaveSizeChoice } from './convoys';
import { GateBook, type GateInput } from './gate';
import { ProviderLimiter } from './limiter';
import { owns } from './partitions';
import { Splits, type MergeResult, type SplitPlan, type SplitRequest } from './split';
import type { SuggestedSplit } from './partitions';
import { MergeQueue } from './merge-queue';
import type { Bead, Convoy, MergeRequest, PatrolTier, Polecat, Rig, RigCounters, RigSettings, TownSettings } from './model';
import { Persistence } from './persistence';
import { PolecatWork } from './polecat-work';
import type { AgentRuntime, GatePort, GitPort, InjectedFailure, TownStore } from './ports';
import { seededRandom, type Random } from './random';
import { TownRecords, type RigRuntime } from './records';
import { Refinery } from './refinery';
import { RefineryStats, combineStats, type RefineryStatsSnapshot } from './refinery-stats';
import { DEFAULT_TOWN_SETTINGS, Supervision } from './supervision';
import type { DeaconStatus } from './deacon';

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
  witnessIntervalMs: null,
  heartbeatTimeoutMs: 3 * 60_000,
  progressTimeoutMs: 10 * 60_000,
  tier: 'auto',
  scope: [],
  scopeExclude: [],
  provider: 'anthropic',
  agent: { kind: 'scripted' },
  maxConcurrency: null,
  // A real agent on one bead: long enough for a large change, short enough to free a hung slot.
  agentTimeoutMs: 60 * 60_000,
};

const ZERO_COUNTERS: RigCounters = { merged: 0, conflicts: 0, rejected: 0, reworkedMerged: 0 };

/** Upper bound on Refinery workers per rig (the seed's "multiple Refinery instances"). */
export const MAX_REFINERY_WORKERS = 16;

/** Names polecats are given, in order, per rig (Gas Town's are from Mad Max). */
const POLECAT_NAMES =
  'furiosa nux slit rictus capable toast dag cheedo ace morsov keeper valkyrie corpus scrotus organic prime miss giddy glory angharad'.split(
    ' ',
  );

const RIG_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

export interface QueueState {
  /** Waiting for a worker. */
  pending: MergeRequest[];
  /** Held by workers (merging, validating, passed and waiting for their turn). */
  inFlight: Array<{ mr: MergeRequest; stage: string; worker: number }>;
}

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

export class Town {
  readonly ctx: EngineContext;
  private readonly records: TownRecords;
  private escalationBook!: EscalationBook;
  private gateBook!: GateBook;
  private work!: PolecatWork;
  private supervision!: Supervision;
  private convoyBook!: Convoys;
  private splits!: Splits;
  readonly limiter: ProviderLimiter;
  readonly costs: CostMeter;
  private townSettings: TownSettings = DEFAULT_TOWN_SETTINGS;
  private running = false;
  private resumed = false;

  private constructor(private readonly options: TownOptions) {
    const log = options.log ?? silentLogger;
    const persistence = new Persistence(
      options.store,
      (err) => log.error('store write failed', { error: String(err) }),
      options.clock,
      // Fail-stop (see persistence.ts): the town stops as a graceful stop would, and
      // CommandBus refuses commands until a restart reloads it from the database.
      (failure) => {
        log.error('the town stopped: a store write failed; restart to reload from the database', { ...failure });
        queueMicrotask(() => void this.stop());
      },
    );
    this.ctx = new EngineContext(
      options.clock,
      options.git,
      options.agents,
      persistence,
      options.random ?? seededRandom(options.clock.now()),
      options.bus ?? new EventBus((err) => log.error('event listener failed', { error: String(err) })),
      log,
    );
    this.records = new TownRecords(this.ctx);
    const unlimited = { maxSessions: null, tokensPerMinute: null };
    this.limiter = new ProviderLimiter(this.ctx.clock, (provider) => this.townSettings.providers[provider] ?? unlimited);
    this.costs = new CostMeter(this.ctx, () => this.townSettings.retryLoopTokens);
  }

  /** Loads the persisted town and reconciles it with git. Does not start work. */
  static async open(options: TownOptions): Promise<Town> {
    const town = new Town(options);
    const state = await options.store.loadTown();
    town.townSettings = { ...DEFAULT_TOWN_SETTINGS, ...state.settings };
    town.escalationBook = new EscalationBook(town.ctx, state.escalations);
    town.gateBook = new GateBook(town.ctx, town.records, state.gates);
    town.costs.seedToday(await options.store.listUsage({ since: new Date(options.clock.now()).toISOString().slice(0, 10) }));
    town.convoyBook = new Convoys(town.ctx, town.records, town.gateBook, {
      dispatchSoon: () => town.work.scheduleDispatch(),
      throughput: (rig) => ({
        mergesPerHour: town.refineryStats(rig).mergesPerHour,
        workMs: town.records.rig(rig).rig.settings.agentWorkMs,
        idlePolecats: town.records.polecatsOf(rig).filter((p) => p.state === 'idle').length,
      }),
    });
    town.work = new PolecatWork(town.ctx, town.records, town.escalationBook, town.limiter, town.costs, {
      isHeld: (bead) => town.gateBook.isHeld(bead.id) || town.convoyBook.isHeld(bead),
      beadEvent: (bead, event) => town.convoyBook.beadEvent(bead, event),
      beadFinished: (bead, convoy) => {
        town.convoyBook.beadFinished(convoy, bead);
        town.openGatesFast();
      },
    });
    town.supervision = new Supervision(
      town.ctx,
      town.records,
      town.work,
      town.gateBook,
      town.escalationBook,
      () => town.townSettings,
    );
    town.splits = new Splits(town.ctx, town.records, {
      attachRig: (rig) => town.attachRig(rig, []),
      running: () => town.running,
      addPolecats: (rig, count) => town.addPolecats(rig, count),
      mergesPerHour: (rig) => town.refineryStats(rig).mergesPerHour,
      checkNewRigName: (name) => town.checkNewRigName(name),
    });
    for (const rig of state.rigs) {
      rig.settings = { ...DEFAULT_RIG_SETTINGS, ...rig.settings };
      rig.counters = { ...ZERO_COUNTERS, ...rig.counters };
      town.attachRig(
        rig,
        state.mergeRequests.filter((mr) => mr.rig === rig.name),
      );
    }
    for (const p of state.polecats) town.records.polecats.set(p.id, { ...p, health: p.health ?? 'ok', strikes: p.strikes ?? 0 });
    for (const b of state.beads) town.records.beads.set(b.id, b);
    for (const c of state.convoys) town.records.convoys.set(c.id, c);
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
    return [...this.records.rigs.values()].map((r) => r.rig);
  }

  getRig(name: string): Rig | undefined {
    return this.records.rigs.get(name)?.rig;
  }

  listPolecats(rig?: string): Polecat[] {
    return rig ? this.records.polecatsOf(rig) : [...this.records.polecats.values()];
  }

  /** Beads still in play (not done or closed). */
  listActiveBeads(): Bead[] {
    return [...this.records.beads.values()];
  }

  getActiveBead(id: string): Bead | undefined {
    return this.records.beads.get(id);
  }

  listConvoys(): Convoy[] {
    return [...this.records.convoys.values()];
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
    const now = this.clock.now();
    if (rig) return this.records.rig(rig).refinery.stats.snapshot(now);
    return combineStats(
      [...this.records.rigs.values()].map((rt) => rt.refinery.stats),
      now,
    );
  }

  get escalations(): EscalationBook {
    return this.escalationBook;
  }

  get gates(): GateBook {
    return this.gateBook;
  }

  get settings(): TownSettings {
    return this.townSettings;
  }

  /**
   * Whether a polecat's token count means anything: the scripted agent always reports;
   * an external one only when it prints usage lines. Unknown is shown as unknown, never 0.
   */
  usageKnown(polecat: Polecat): boolean {
    const rig = this.records.rigs.get(polecat.rig)?.rig;
    return rig?.settings.agent.kind === 'scripted' || polecat.tokensUsed > 0 || this.work.usageReported(polecat.id);
  }

  mayorStats(): ReturnType<PolecatWork['mayorStats']> {
    return this.work.mayorStats();
  }

  getConvoy(id: string): Convoy | undefined {
    return this.records.convoys.get(id);
  }

  suggestWaveSize(convoyId: string): number {
    return this.convoyBook.suggestWaveSize(this.convoyBook.get(convoyId));
  }

  deaconStatus(): DeaconStatus {
    return this.supervision.status();
  }

  tierOf(rig: string): PatrolTier {
    return this.supervision.tierOf(this.records.rig(rig).rig);
  }

  witnessStatus(rig: string): { intervalMs: number; lastPatrolAt: number | null } {
    const { witness } = this.records.rig(rig);
    return { intervalMs: witness.intervalMs, lastPatrolAt: witness.lastPatrolAt };
  }

  // ---------------------------------------------------------------- life cycle

  /** Resumes agents, Refineries, patrols and dispatch. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.work.running = true;
    for (const p of this.records.polecats.values()) this.work.resume(p);
    for (const rt of this.records.rigs.values()) rt.refinery.kick();
    this.supervision.start();
    this.work.scheduleDispatch();
    this.ctx.emit({
      type: 'town.started',
      at: this.clock.now(),
      rigs: this.records.rigs.size,
      polecats: this.records.polecats.size,
      resumed: this.resumed,
    });
  }

  /**
   * Graceful stop: no new work is taken, patrols stop, the landing in hand finishes (so
   * the target never holds half a prefix), agents are cancelled with their worktrees
   * kept, and every write is flushed. The store stays open; its owner closes it.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.work.running = false;
    this.supervision.stop();
    for (const rt of this.records.rigs.values()) rt.refinery.stop();
    this.work.cancelAll();
    await this.ctx.settle();
  }

  /** Waits until all in-flight work and writes are done (tests, simulations). */
  settle(): Promise<void> {
    return this.ctx.settle();
  }

  // ---------------------------------------------------------------- rigs and polecats

  /** Adds a rig for an existing git repository whose target branch exists. */
  async addRig(input: { name: string; repoPath: string; targetBranch?: string; settings?: Partial<RigSettings> }): Promise<Rig> {
    this.checkNewRigName(input.name);
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
      lineage: null,
    };
    const rt = this.attachRig(rig, []);
    this.records.saveRig(rig);
    this.ctx.emit({ type: 'rig.added', at: rig.createdAt, rig: rig.name, repoPath: rig.repoPath });
    if (this.running) rt.witness.start();
    return rig;
  }

  /** Refuses a name a new rig cannot take: malformed, or taken (retired rigs keep theirs). */
  private checkNewRigName(name: string): void {
    if (!RIG_NAME.test(name)) throw invalid(`rig name '${name}' must match ${RIG_NAME}`);
    if (this.records.rigs.has(name)) throw conflict(`rig '${name}' already exists`);
  }

  /** What splitting a rig into path partitions would do (a dry run; see split.ts). */
  planSplit(rig: string, request: SplitRequest): Promise<SplitPlan> {
    return this.splits.plan(rig, request);
  }

  /** Splits a rig into path partitions, each with its own Refinery, Witness and queue. */
  splitRig(rig: string, request: SplitRequest, by: string): Promise<SplitPlan> {
    return this.splits.apply(rig, request, by);
  }

  /** Merges a split rig's partitions back into it (undo of splitRig). */
  mergeRig(rig: string, by: string): Promise<MergeResult> {
    return this.splits.merge(rig, by);
  }

  /** Partitions suggested from the files the rig's recent work touched. */
  async suggestSplit(rig: string, max?: number): Promise<SuggestedSplit> {
    this.records.rig(rig);
    const history = await this.options.store.listMergeRequests({ rig, status: ['merged', 'conflicted'], limit: 200 });
    return this.splits.suggest(rig, history, max);
  }

  /** Adds `count` polecats to a rig, each with its own worktree and branch. */
  async addPolecats(rigName: string, count: number): Promise<Polecat[]> {
    const { rig } = this.records.rig(rigName);
    const tip = await this.ctx.git.resolveRef(rig.repoPath, `refs/heads/${rig.targetBranch}`);
    const added: Polecat[] = [];
    const taken = new Set(this.listPolecats(rigName).map((p) => p.name));
    for (let i = 0; added.length < count; i++) {
      const round = Math.floor(i / POLECAT_NAMES.length);
      const name = POLECAT_NAMES[i % POLECAT_NAMES.length] + (round > 0 ? `-${round + 1}` : '');
      // Ids stay unique across rigs: a polecat moved by a split keeps the id it had.
      if (taken.has(name) || this.records.polecats.has(`${rigName}/${name}`)) continue;
      taken.add(name);
      const polecat: Polecat = {
        id: `${rigName}/${name}`,
        rig: rigName,
        name,
        state: 'idle',
        beadId: null,
        // Rigs split from one repository share it, so branches are named per rig.
        branch: `polecat/${rigName}/${name}`,
        worktreePath: path.join(this.options.workDir, 'worktrees', rigName, name),
        lastHeartbeatAt: null,
        lastProgressAt: null,
        stateSince: this.clock.now(),
        tokensUsed: 0,
        health: 'ok',
        strikes: 0,
      };
      await this.ctx.git.ensureWorktree(rig.repoPath, polecat.worktreePath, polecat.branch, tip);
      this.records.polecats.set(polecat.id, polecat);
      this.records.savePolecat(polecat);
      this.ctx.emit({ type: 'polecat.added', at: this.clock.now(), rig: rigName, polecat: polecat.id });
      added.push(polecat);
    }
    this.work.scheduleDispatch();
    return added;
  }

  /** Scales the rig's Refinery: 1 to MAX_REFINERY_WORKERS workers validating in parallel. */
  setRefineryWorkers(rigName: string, workers: number, actor: string): Rig {
    const rt = this.records.rig(rigName);
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_REFINERY_WORKERS) {
      throw invalid(`refinery workers must be an integer from 1 to ${MAX_REFINERY_WORKERS}, got ${workers}`);
    }
    if (rt.rig.status === 'retired') throw conflict(`rig '${rigName}' is retired`);
    const from = rt.rig.settings.refineryWorkers;
    this.updateRigSettings(rigName, { refineryWorkers: workers });
    this.ctx.emit({ type: 'refinery.workers_changed', at: this.clock.now(), rig: rigName, from, to: workers, actor });
    return rt.rig;
  }

  /** Changes rig settings (gates, merge mode, Witness interval, tier, agent tuning). */
  updateRigSettings(rigName: string, patch: Partial<RigSettings>): Rig {
    const rt = this.records.rig(rigName);
    const intervalBefore = rt.witness.intervalMs;
    const concurrencyBefore = rt.rig.settings.maxConcurrency;
    rt.rig.settings = { ...rt.rig.settings, ...patch };
    this.records.saveRig(rt.rig);
    if (rt.rig.settings.maxConcurrency !== concurrencyBefore) this.work.concurrencyChanged();
    this.ctx.emit({ type: 'rig.settings_changed', at: this.clock.now(), rig: rigName, settings: rt.rig.settings });
    if (this.running && rt.witness.intervalMs !== intervalBefore) rt.witness.reschedule();
    rt.refinery.kick();
    return rt.rig;
  }

  /** Changes town-wide settings (the Deacon's mode and cadences, the gate fast path). */
  updateSettings(patch: Partial<TownSettings>, by: string): TownSettings {
    this.townSettings = { ...this.townSettings, ...patch };
    this.limiter.limitsChanged();
    const copy = structuredClone(this.townSettings);
    void this.ctx.persistence.write((s) => s.saveTownSettings(copy));
    this.ctx.emit({ type: 'town.settings_changed', at: this.clock.now(), by });
    if (this.running) this.supervision.deacon.restart();
    return this.townSettings;
  }

  parkRig(rig: string, by: string): Rig {
    return this.supervision.park(rig, by);
  }

  unparkRig(rig: string, by: string): Rig {
    return this.supervision.unpark(rig, by);
  }

  restartPolecat(polecatId: string, by: string): Polecat {
    return this.supervision.restartPolecat(polecatId, by);
  }

  nudgePolecat(polecatId: string): Polecat {
    return this.supervision.nudgePolecat(polecatId);
  }

  injectFailure(polecatId: string, failure: InjectedFailure, sticky = false): void {
    this.supervision.injectFailure(polecatId, failure, sticky);
  }

  // ---------------------------------------------------------------- beads, convoys, gates

  createBead(input: BeadInput): Bead {
    const bead = this.newBead(input, (id) => this.records.beads.has(id));
    this.records.beads.set(bead.id, bead);
    this.records.saveBead(bead);
    this.beadCreated(bead);
    this.work.scheduleDispatch();
    return bead;
  }

  /**
   * A bead made from `input` after every check against the current state, changing
   * nothing: createBead and createConvoy check all their beads first, then apply.
   * `taken` says which ids are in use (a convoy's beads are not in the records yet).
   */
  private newBead(input: BeadInput, taken: (id: string) => boolean): Bead {
    const { rig } = this.records.rig(input.rig);
    if (rig.status === 'retired') throw conflict(`rig '${input.rig}' is retired`);
    for (const dep of input.dependsOn ?? []) {
      if (!this.records.beads.has(dep)) throw invalid(`dependency '${dep}' is not an open bead`);
    }
    const now = this.clock.now();
    return {
      id: this.records.newId('gt', taken),
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
  }

  private beadCreated(bead: Bead): void {
    this.ctx.emit({
      type: 'bead.created',
      at: bead.createdAt,
      rig: bead.rig,
      bead: bead.id,
      title: bead.title,
      convoy: bead.convoyId,
    });
  }

  /** The rig whose path scope owns every path of a bead (the Mayor's routing). */
  routeBead(paths: string[]): string {
    const owners = this.listRigs().filter(
      (r) => r.status !== 'retired' && paths.every((p) => owns(r.settings, p.replace(/\/$/, '/x'))),
    );
    // A partition owning the paths beats a rig that owns everything.
    const scoped = owners.filter((r) => r.settings.scope.length > 0 || r.settings.scopeExclude.length > 0);
    const pick = scoped[0] ?? owners[0];
    if (!pick) throw invalid(`no rig owns the paths ${paths.join(', ') || '(none)'}; name a rig`);
    return pick.name;
  }

  /**
   * Creates a convoy and its beads, tracked together. Dispatched at once unless `hold`:
   * a held convoy waits for `dispatchConvoy` (all at once or in waves).
   */
  createConvoy(title: string, beads: Array<Omit<BeadInput, 'convoyId'>>, options: { hold?: boolean; by?: string } = {}): Convoy {
    const convoy: Convoy = {
      id: this.records.newId('cv', (id) => this.records.convoys.has(id)),
      title,
      status: 'open',
      beadIds: [],
      createdAt: this.clock.now(),
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
      const bead = this.newBead({ ...b, convoyId: convoy.id }, (id) => ids.has(id) || this.records.beads.has(id));
      ids.add(bead.id);
      made.push(bead);
    }
    convoy.beadIds = made.map((b) => b.id);
    this.records.convoys.set(convoy.id, convoy);
    for (const bead of made) this.records.beads.set(bead.id, bead);
    void this.records.commit({ beads: made, convoys: [convoy] }).catch(() => {}); // a refusal stops the town
    for (const bead of made) this.beadCreated(bead);
    this.ctx.emit({ type: 'convoy.created', at: convoy.createdAt, convoy: convoy.id, title, beads: beads.length });
    if (!options.hold) this.convoyBook.dispatch(convoy.id, null, options.by ?? 'mayor');
    this.work.scheduleDispatch();
    return convoy;
  }

  /** Dispatches a held convoy: all at once (null), in waves of N, or `auto`-sized waves. */
  dispatchConvoy(id: string, waveSize: WaveSizeChoice, by: string): Convoy {
    return this.convoyBook.dispatch(id, waveSize, by);
  }

  /** Re-plans the part of a convoy not yet dispatched into waves of N (null: all at once). */
  staggerConvoy(id: string, waveSize: WaveSizeChoice, by: string): Convoy {
    return this.convoyBook.stagger(id, waveSize, by);
  }

  addToConvoy(id: string, beadIds: string[]): Convoy {
    return this.convoyBook.add(id, beadIds);
  }

  removeFromConvoy(id: string, beadId: string): Convoy {
    return this.convoyBook.remove(id, beadId);
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
  closeBead(id: string): Bead {
    const bead = this.records.beads.get(id);
    if (!bead) throw notFound('open bead', id);
    if (bead.status === 'hooked' || bead.status === 'in_progress')
      throw conflict(`bead '${id}' is being worked on by ${bead.assignee}`);
    const convoy = bead.convoyId ? this.records.convoys.get(bead.convoyId) : undefined;
    this.records.finishBead(bead, 'closed');
    this.convoyBook.beadFinished(convoy, id);
    this.openGatesFast();
    return bead;
  }

  /** Holds beads until a condition (timer, merges landed, beads closed, approval) holds. */
  createGate(input: GateInput): ReturnType<GateBook['create']> {
    for (const id of [...input.holds, ...(input.beads ?? [])]) {
      if (!this.records.beads.has(id)) throw invalid(`bead '${id}' is not in play`);
    }
    if (input.rig != null) this.records.rig(input.rig);
    const gate = this.gateBook.create(input);
    if (gate.kind === 'timer' && gate.until !== null && this.townSettings.gateFastPath) {
      this.clock.setTimer(Math.max(0, gate.until - this.clock.now()), () => this.openGatesFast());
    }
    return gate;
  }

  approveGate(id: string, who: string): ReturnType<GateBook['approve']> {
    const gate = this.gateBook.approve(id, who);
    this.work.scheduleDispatch();
    return gate;
  }

  /** The event-driven fast path: open whatever gates can open now. */
  private openGatesFast(): void {
    if (!this.townSettings.gateFastPath) return;
    if (this.gateBook.evaluate('fast-path').length > 0) this.work.scheduleDispatch();
  }

  // ---------------------------------------------------------------- restart

  /**
   * Makes the loaded state agree with git after a stop or a crash. A landing and the
   * bookkeeping around it are several writes; whichever of them a crash cut off, this
   * finishes the job:
   * - lock files a killed git left behind are removed (nothing of ours runs yet);
   * - a request caught mid-merge landed iff its recorded merge commit is on the target;
   *   otherwise it goes back to the queue (never lands twice, never lost);
   * - a request recorded as merged whose bead is still in play completes its bead;
   * - a polecat and its bead agree on who holds whom: a polecat holding an open,
   *   unassigned bead takes it back (its worktree has the work); one holding a bead
   *   assigned elsewhere (or blocked) lets go; a bead marked as taken by a polecat that
   *   does not hold it goes back to open.
   */
  private async reconcile(): Promise<void> {
    const { git } = this.ctx;
    for (const repo of new Set(this.listRigs().map((r) => r.repoPath))) {
      const removed = await git.clearStaleLocks(repo);
      if (removed.length) this.ctx.log.warn('removed lock files a killed git process left behind', { repo, removed });
    }
    for (const rt of this.records.rigs.values()) {
      const tip = await git.resolveRef(rt.rig.repoPath, `refs/heads/${rt.rig.targetBranch}`);
      for (const mr of rt.queue.all()) {
        if (mr.status !== 'merging') continue;
        const landed = mr.mergeCommit !== null && (await git.isAncestor(rt.rig.repoPath, mr.mergeCommit, tip));
        if (landed) {
          await rt.queue.transition(mr, 'land', { landedAt: this.clock.now() });
          this.work.landed(rt, mr);
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
    const inPlay = [...this.records.beads.keys()];
    if (inPlay.length > 0) {
      for (const mr of await this.options.store.listMergeRequests({ status: ['merged'], beadIds: inPlay })) {
        const rt = this.records.rigs.get(mr.rig);
        if (rt && this.records.beads.has(mr.beadId)) this.work.landed(rt, mr);
      }
    }
    for (const p of this.records.polecats.values()) {
      const bead = p.beadId ? this.records.beads.get(p.beadId) : undefined;
      if (!bead || bead.assignee === p.id) continue;
      if (bead.status === 'open' && bead.assignee === null && p.state !== 'idle') {
        this.records.setBeadStatus(bead, 'in_progress', { assignee: p.id });
      } else if (p.state !== 'idle') this.records.movePolecat(p, 'release', { beadId: null });
      else Object.assign(p, { beadId: null });
    }
    for (const bead of this.records.beads.values()) {
      if (bead.status !== 'hooked' && bead.status !== 'in_progress') continue;
      const holder = bead.assignee ? this.records.polecats.get(bead.assignee) : undefined;
      if (!holder || holder.beadId !== bead.id) this.records.setBeadStatus(bead, 'open', { assignee: null });
    }
    await this.ctx.settle();
  }

  // ---------------------------------------------------------------- helpers

  private attachRig(rig: Rig, mrs: MergeRequest[]): RigRuntime {
    const queue = new MergeQueue(this.ctx, rig.name, mrs);
    const rt = { rig, queue } as RigRuntime;
    rt.refinery = new Refinery(this.ctx, rig, queue, this.options.gates, new RefineryStats(this.clock.now()), {
      landed: (mr) => this.work.landed(rt, mr),
      conflicted: (mr) => this.work.conflicted(rt, mr),
      rejected: (mr, gate, output) => this.work.rejected(rt, mr, gate, output),
    });
    rt.witness = this.supervision.witnessFor(rig);
    this.records.rigs.set(rig.name, rt);
    return rt;
  }

  /** Throws not_found for an unknown rig (for commands that only need to check). */
  requireRig(name: string): Rig {
    const rig = this.getRig(name);
    if (!rig) throw notFound('rig', name);
    return rig;
  }
}
