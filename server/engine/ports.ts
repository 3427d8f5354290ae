/**
 * The engine's ports: everything it needs from the outside world, as interfaces.
 * Adapters live beside the engine (server/git, server/store, server/agents); the
 * composition root (server/main.ts) wires real ones, tests and simulations wire others.
 */
import type {
  Bead,
  Convoy,
  Escalation,
  Gate,
  CheckRun,
  CheckSetup,
  CheckSpec,
  MergeRequest,
  Polecat,
  Rig,
  TownSettings,
  UsageRecord,
} from '../../contracts/records';
import type { AuditEntry, AuditRecord, StoredEvent } from '../../contracts/activity';
import type { DomainEvent } from '../../contracts/events';

export type { CheckRun, CheckSetup, CheckSpec } from '../../contracts/records';

/** Result of merging a branch head into the target without a checkout. */
export type MergeTreeResult = { clean: true; tree: string } | { clean: false; conflictFiles: string[] };

/** Git operations on one town's repositories. Every call uses argument arrays. */
export interface GitPort {
  /** Commit id a ref points at (e.g. `refs/heads/main`). */
  resolveRef(repo: string, ref: string): Promise<string>;
  /** Creates (or re-attaches) a worktree at `path` on `branch`, reset to `startPoint`. */
  ensureWorktree(repo: string, path: string, branch: string, startPoint: string): Promise<void>;
  /** Hard-resets the worktree (and its branch) to `commit`, removing untracked files. */
  resetWorktree(path: string, commit: string): Promise<void>;
  /** Removes the worktree directory and its admin data; the branch is kept. */
  removeWorktree(repo: string, path: string): Promise<void>;
  /** Stages everything in the worktree and commits; returns the new head, or null if nothing changed. */
  commitAll(path: string, message: string, author: { name: string; email: string }): Promise<string | null>;
  /** Three-way merge of `theirs` into `ours` without touching any worktree. */
  mergeTree(repo: string, ours: string, theirs: string): Promise<MergeTreeResult>;
  /** Writes a commit object for `tree` with the given parents; returns its id. */
  commitTree(repo: string, tree: string, parents: string[], message: string): Promise<string>;
  /** Moves `ref` to `newSha` only if it still points at `oldSha`. False when it had moved. */
  compareAndSwapRef(repo: string, ref: string, newSha: string, oldSha: string): Promise<boolean>;
  /** Paths `head` changed since it forked from `base` (`git diff base...head`). */
  changedFiles(repo: string, base: string, head: string): Promise<string[]>;
  /** Every file path tracked at `commit`. */
  listFiles(repo: string, commit: string): Promise<string[]>;
  /** True when `ancestor` is reachable from `descendant`. */
  isAncestor(repo: string, ancestor: string, descendant: string): Promise<boolean>;
  /**
   * Removes lock files a killed git process left in the repository (its index, refs and
   * worktrees' admin data); returns what it removed. Only safe while no git command of
   * the town runs on it: the Town calls it once, when it opens.
   */
  clearStaleLocks(repo: string): Promise<string[]>;
}

export interface CheckRunResult {
  ok: boolean;
  /** Name of the first check that failed (or timed out); null when all passed. */
  failedCheck: string | null;
  /** Tail of the failing check's stdout+stderr (bounded), or '' when all passed. */
  output: string;
  /** Real milliseconds spent running the checks. */
  durationMs: number;
  /**
   * Each step that ran, in order (the setup when it ran, then the checks up to the first
   * that failed). Adapters with no steps to show leave it out.
   */
  runs?: CheckRun[];
}

/**
 * Runs a rig's checks (its validation commands) in a scratch worktree checked out at a commit. Each
 * Refinery worker slot has its own scratch worktree, so slots validate in parallel.
 */
export interface CheckPort {
  validate(request: {
    repo: string;
    rig: string;
    slot: number;
    commit: string;
    checks: CheckSpec[];
    /** Runs first when the slot's scratch worktree has not run it on these inputs (see CheckSetup). */
    setup?: CheckSetup | null;
    /** Aborting kills the running check; the promise then rejects with an AbortError. */
    signal?: AbortSignal;
  }): Promise<CheckRunResult>;
  /**
   * Makes sure slots 0..slots-1 have their scratch worktrees (at `commit`, any commit: each
   * validation checks out its own), so a rig's first validations after a start or a scale-up
   * do not wait for creating them (a checkout of the whole repository, one at a time).
   */
  prepare?(request: { repo: string; rig: string; slots: number; commit: string; setup?: CheckSetup | null }): Promise<void>;
  /** Removes the rig's scratch worktrees (rig removed, or fewer workers). */
  dispose(repo: string, rig: string): Promise<void>;
  /**
   * True for adapters whose validations take engine-clock time (simulations, virtual-time
   * tests). Their promises resolve only when the clock moves, so `settle()` must not wait
   * for them: the Refinery then leaves them untracked.
   */
  readonly waitsOnClock?: boolean;
}

/** What the engine reloads on start: everything that is still in play. */
export interface TownState {
  rigs: Rig[];
  polecats: Polecat[];
  /** Beads not yet done or closed (done ones are history, queried from the store). */
  beads: Bead[];
  convoys: Convoy[];
  /** Merge requests still in play (not merged, abandoned or escalated). */
  mergeRequests: MergeRequest[];
  /** Escalations not yet resolved. */
  escalations: Escalation[];
  /** Gates still waiting. */
  gates: Gate[];
  /** Town-wide settings; null on a new town (defaults apply). */
  settings: TownSettings | null;
}

/** Records written together by `TownStore.saveAll`; a kind left out is not touched. */
export interface RecordChange {
  rigs?: Rig[];
  polecats?: Polecat[];
  deletedPolecats?: string[];
  beads?: Bead[];
  convoys?: Convoy[];
  mergeRequests?: MergeRequest[];
}

export interface BeadQuery {
  /** Only beads with these ids. */
  ids?: string[];
  status?: Bead['status'][];
  rig?: string;
  /** Only beads updated (or closed, for done beads) at or after this time. */
  since?: number;
  limit?: number;
}

export interface EventQuery {
  types?: string[];
  rig?: string;
  since?: number;
  limit?: number;
  /** Only events listed after the one with this id (the next page, newest first). */
  before?: number;
}

/**
 * Persistence. The persisted state is the truth: the engine writes through on every
 * state change and reloads from here on start. Saves are upserts keyed by id.
 */
export interface TownStore {
  loadTown(): Promise<TownState>;
  saveRig(rig: Rig): Promise<void>;
  savePolecat(polecat: Polecat): Promise<void>;
  deletePolecat(id: string): Promise<void>;
  saveBead(bead: Bead): Promise<void>;
  saveConvoy(convoy: Convoy): Promise<void>;
  saveMergeRequest(mr: MergeRequest): Promise<void>;
  saveEscalation(escalation: Escalation): Promise<void>;
  saveGate(gate: Gate): Promise<void>;
  /** Gates, newest first; all statuses unless given. */
  listGates(query: { status?: Gate['status'][]; limit?: number }): Promise<Gate[]>;
  saveTownSettings(settings: TownSettings): Promise<void>;
  /**
   * Saves all these records in one transaction: all of them land, or none (a split, a
   * merge, a convoy with its beads). The engine reaches it through `TownRecords.commit`.
   */
  saveAll(change: RecordChange): Promise<void>;
  /** Adds usage to the per-day sums (same day, rig, polecat, convoy and model add up). */
  addUsage(records: UsageRecord[]): Promise<void>;
  /** Usage sums from day `since` (YYYY-MM-DD, inclusive) on. */
  listUsage(query: { since?: string }): Promise<UsageRecord[]>;
  listConvoys(query: { status?: Convoy['status'][]; limit?: number }): Promise<Convoy[]>;
  getConvoy(id: string): Promise<Convoy | null>;
  /** Escalations, newest first; all statuses unless given. */
  listEscalations(query: { status?: Escalation['status'][]; limit?: number }): Promise<Escalation[]>;
  /** Merge requests of a rig that finished (merged, rejected...) at or after `since`, newest first. */
  listMergeRequests(query: {
    rig?: string;
    status?: MergeRequest['status'][];
    since?: number;
    /** Only requests for these beads. */
    beadIds?: string[];
    /** Only these requests. */
    ids?: string[];
    limit?: number;
  }): Promise<MergeRequest[]>;
  /** Append-only log of domain events. */
  appendEvents(events: DomainEvent[]): Promise<void>;
  appendAudit(record: AuditRecord): Promise<void>;
  listBeads(query: BeadQuery): Promise<Bead[]>;
  getBead(id: string): Promise<Bead | null>;
  listEvents(query: EventQuery): Promise<StoredEvent[]>;
  /** Audit records, newest first; `before`: only those listed after the record with this id (the next page). */
  listAudit(limit: number, before?: number): Promise<AuditEntry[]>;
  /** Deletes events older than `before` (retention); returns how many went. */
  pruneEvents(before: number): Promise<number>;
  /** Deletes audit records older than `before` (retention); returns how many went. */
  pruneAudit(before: number): Promise<number>;
  close(): Promise<void>;
}

/** What an agent session is given: the bead as data, never as a shell string. */
export interface AgentSession {
  rig: Rig;
  polecat: Polecat;
  bead: Bead;
  /** 'fresh' starts the bead; 'rework' re-applies it on a new target after a conflict. */
  mode: 'fresh' | 'rework';
  attempt: number;
  /** Called whenever the agent shows life (output, a tool call). */
  heartbeat(): void;
  /** Called when the agent makes progress on the bead (edits, commits); a heartbeat too. */
  progress(): void;
  /**
   * Declares real I/O in flight (file edits, a commit): the engine waits for it before it
   * calls itself settled or stopped. Waiting on the clock is not declared.
   */
  track<T>(work: Promise<T>): Promise<T>;
  /**
   * Resolves when the API provider has room for more tokens (the town's tokens-per-minute
   * limit); the polecat shows as throttled meanwhile. Agents call it before each request.
   */
  waitForCapacity(): Promise<void>;
  /** Called when the agent reports token usage. */
  reportUsage(usage: { inputTokens: number; outputTokens: number; model: string }): void;
}

export type AgentOutcome = { kind: 'committed'; head: string } | { kind: 'failed'; reason: string } | { kind: 'cancelled' };

export interface AgentHandle {
  /** Settles when the agent is finished with this bead. */
  readonly done: Promise<AgentOutcome>;
  /** Stops the agent; `done` then settles with `cancelled`. */
  cancel(): void;
  /** False when the agent's process is gone without reporting an outcome (a zombie). */
  alive(): boolean;
  /** Pokes a quiet agent (the Witness's first rung): a message into its session. */
  nudge(): void;
}

/** Failures a runtime can simulate for tests and demos. */
export type InjectedFailure = 'hang' | 'die' | 'loop';

/** Runs an agent on a bead inside the polecat's worktree. */
export interface AgentRuntime {
  start(session: AgentSession): AgentHandle;
  /**
   * Makes a polecat's current session misbehave: `hang` (silent, no progress), `die`
   * (process gone), `loop` (spends tokens and heartbeats without progress). `sticky`
   * keeps it across restarts. Runtimes that cannot simulate failures leave this out.
   */
  inject?(polecatId: string, failure: InjectedFailure, sticky: boolean): void;
}

/** How far a clone has got, from git's `--progress` lines ("Receiving objects: 45%"). */
export interface CloneProgress {
  /** git's name for the step: "Counting objects", "Receiving objects", "Resolving deltas"... */
  phase: string;
  /** 0-100 within the phase. */
  percent: number;
}

export interface CloneOptions {
  /** The target branch; absent: the upstream's HEAD (its default branch). */
  branch?: string;
  /** The clone is killed, and its directory removed, after this long. */
  timeoutMs: number;
  onProgress?: (progress: CloneProgress) => void;
  /** Aborting kills the clone (a shutdown); it then fails with kind `timeout`. */
  signal?: AbortSignal;
}

export interface ClonedUpstream {
  /** The URL as recorded in the clone's config and shown: without its password. */
  url: string;
  /** The branch landings go to: the one asked for, or the upstream's default. */
  targetBranch: string;
  /** The upstream's tip of the target branch at clone time. */
  tip: string;
}

/**
 * How to reach the upstream for one call. `secretUrl`: the URL as the operator gave it, with
 * its password, held in memory only; the clone's config never holds it (without it, the
 * server user's credential helpers and SSH agent answer).
 */
export interface UpstreamAccess {
  secretUrl?: string;
  /** Kill git after this long; default 2 minutes. */
  timeoutMs?: number;
}

/**
 * `pushed`: the upstream branch is now the commit (or already was). `rejected_stale`: the
 * upstream moved since `expectedTip` (somebody else pushed): fetch, re-merge, try again.
 */
export type PushResult = { status: 'pushed' } | { status: 'rejected_stale' };

/**
 * A rig's upstream repository (remote `origin` of its bare clone). Failures reject with
 * UpstreamError (engine/errors.ts), whose message is git's reason with passwords redacted.
 * Layout of the clone: local `refs/heads/<target>` is the landing ref and `refs/heads/*`
 * the polecats' branches; what was fetched from the upstream is in `refs/remotes/origin/*`.
 */
export interface UpstreamPort {
  /**
   * Clones `url` (checked against contracts/git-url.ts before git runs) as a bare
   * repository at `dir`, which must not exist. A failure leaves no directory behind.
   */
  cloneBare(url: string, dir: string, options: CloneOptions): Promise<ClonedUpstream>;
  /** Fetches the upstream's `branch` into `refs/remotes/origin/<branch>`; returns its tip. */
  fetchUpstream(repo: string, branch: string, access?: UpstreamAccess): Promise<string>;
  /**
   * Moves the upstream's `branch` from `expectedTip` to `commit` by compare-and-swap
   * (`--force-with-lease`), refusing a `commit` that does not descend from `expectedTip`,
   * so nobody's commit is ever overwritten. Updates `refs/remotes/origin/<branch>`.
   */
  pushLanding(repo: string, commit: string, branch: string, expectedTip: string, access?: UpstreamAccess): Promise<PushResult>;
  /**
   * Publishes local `branch` (a polecat's) under the same name upstream, replacing what
   * this clone pushed there before but nothing somebody else pushed since (`rejected_stale`).
   */
  pushBranch(repo: string, branch: string, access?: UpstreamAccess): Promise<PushResult>;
}

// ------------------------------------------------------------------ cluster (docs/cluster.md)

/** A server of the town as the database knows it. Times are the database's clock (LeasePort.now). */
export interface NodeRecord {
  name: string;
  url: string | null;
  startedAt: number;
  heartbeatAt: number;
  /** Dead once this long passes without a heartbeat (the node's lease TTL). */
  ttlMs: number;
  /** Its last metric sample of its own rigs, sent with the heartbeat (metrics/town-merge.ts); null: none. */
  rigMetrics?: string | null;
}

/**
 * Who owns a rig. `epoch` is the fencing token: it goes up by one on every claim, never
 * down, so a write carrying an older one is from an owner that lost the rig.
 */
export interface RigLease {
  rig: string;
  /** Null once released. */
  owner: string | null;
  epoch: number;
  /** Database clock ms. */
  expiresAt: number;
}

/**
 * Nodes and rig leases, in the shared database. Every change is a compare-and-swap on the
 * row's epoch (engine/lease.ts decides, the adapter swaps), so two nodes racing for one rig
 * cannot both win.
 */
export interface LeasePort {
  /**
   * The database's clock, ms. Leases expire on it, not on a node's own clock, so a node
   * whose clock runs fast cannot steal early.
   */
  now(): Promise<number>;
  /** Registers `node` (or refreshes its heartbeat and address); returns the database time it was stamped with. */
  heartbeat(node: Omit<NodeRecord, 'heartbeatAt'>): Promise<number>;
  listNodes(): Promise<NodeRecord[]>;
  /** The rigs' leases (the leader lease, engine/leadership.ts, is not among them). */
  listLeases(): Promise<RigLease[]>;
  /** The leader lease (engine/leadership.ts); null before any node claimed it. */
  leader(): Promise<RigLease | null>;
  /** Takes `rig` for `node` when it is free, expired, or `node`'s own from an earlier run: the epoch goes up. Null: held by another. */
  claim(rig: string, node: string, ttlMs: number): Promise<RigLease | null>;
  /** Extends `node`'s lease of `epoch`; null when it was taken (the epoch moved on). */
  renew(rig: string, node: string, epoch: number, ttlMs: number): Promise<RigLease | null>;
  /** Gives the rig up (a move or a clean stop): free at once for the next claim. False when it was not ours any more. */
  release(rig: string, node: string, epoch: number): Promise<boolean>;
  /** Gives the rig to node `to` (gt rig move): its lease, epoch + 1, for `ttlMs`. False when it was not ours any more. */
  hand(rig: string, node: string, epoch: number, to: string, ttlMs: number): Promise<boolean>;
  /** Names of every stored rig (each wants an owner), in name order. */
  rigNames(): Promise<string[]>;
}

/**
 * What a fenced store checks on each rig-scoped write: which node it is and the epoch it
 * holds each rig by (undefined: not held). Set by the node's Ownership (engine/ownership.ts).
 */
export interface WriteFence {
  readonly node: string;
  /** How long a lease the store claims for a new rig lasts (the node renews it from then on). */
  readonly ttlMs: number;
  epochOf(rig: string): number | undefined;
  /** The database's clock (LeasePort.now). */
  now(): Promise<number>;
  /** A rig created here (no lease, no stored row yet): the store claimed it in the same transaction. */
  created(lease: RigLease): void;
}
