/**
 * The Refinery: a rig's merge-queue processor. Requests land on the target branch
 * strictly in queue order; several workers validate them in parallel.
 *
 * Algorithm: a dependent pipeline with speculative bases (after Zuul's dependent
 * pipeline and merge trains). The first W requests of the queue form the window
 * (W = workers, or the batch size in batch mode); their order is pinned once they enter
 * it. Request k is merged (merge-tree --write-tree + a merge commit, no checkout) on top of
 * the speculative result of the nearest request ahead of it that is not failing, so it
 * is validated against exactly what the target will hold when its turn comes. Each
 * worker runs the rig's validation checks on one speculative commit in its own scratch
 * worktree. The longest validated prefix of the window lands with one compare-and-swap
 * of the target ref to the last commit of that prefix: order is kept, and the target
 * never holds half of a prefix. When a request ahead fails or conflicts, the ones that
 * were speculated on top of it are re-based and re-validated. A request that conflicts
 * with, or fails on, the current target itself goes back to its polecat.
 *
 * Batch mode validates the whole window with one check run on its last commit; a failing
 * batch is bisected (validate the first half, land it if it passes, and so on) until the
 * failing request is found and rejected.
 *
 * A rig landing upstream pushes the prefix's last commit to the upstream first and moves
 * its local target after (upstream-landing.ts); it fetches on an interval, and its target
 * follows the upstream.
 *
 * Crash safety: each request's speculative commit is persisted as its merge intent
 * before the ref moves (before the push, landing upstream). On restart or attach
 * (recovery.ts) a request caught mid-merge landed iff its intent commit is on the target
 * (the upstream's, landing upstream); everything else goes back to the queue.
 *
 * This module fills the window from the queue, sends back what fails on the target and
 * lands; the window's speculation and validation are refinery-window.ts.
 */
import type { EngineContext } from './context';
import type { MergeQueue } from './merge-queue';
import { queueOrder } from './merge-request';
import type { MergeRequest, Rig } from '../../contracts/records';
import { backoffMs } from './backoff';
import { isWholeRepository, owns } from './partitions';
import { conflict, isFenced } from './errors';
import type { CheckPort, UpstreamPort } from './ports';
import type { RefineryStats } from './refinery-stats';
import { SpeculativeWindow, type Stage, type WindowItem } from './refinery-window';
import { UpstreamLanding } from './upstream-landing';

export type { Stage } from './refinery-window';

export interface RefineryHooks {
  /** The request's merge commit is on the target branch. */
  landed(mr: MergeRequest): void;
  /** The request conflicts with the target; its polecat must rework it. */
  conflicted(mr: MergeRequest, files: string[]): void;
  /** A check failed on the request over the current target. */
  rejected(mr: MergeRequest, check: string, output: string): void;
}

/** What a fetch of a rig's upstream found (rig.fetch). */
export interface FetchResult {
  rig: string;
  /** The target's tip now. */
  tip: string;
  /** The upstream had moved and the local target followed it. */
  moved: boolean;
  /** The upstream does not contain the local target (its history was rewritten): nothing lands. */
  diverged: boolean;
}

export interface WindowView {
  mr: MergeRequest;
  stage: Stage;
  worker: number;
}

export class Refinery {
  private readonly window: SpeculativeWindow;
  private tip: string | null = null;
  private resolvingTip = false;
  private landing: Promise<void> | null = null;
  private stopped = false;
  private scheduled = false;
  private casStalls = 0;
  /** After a swap failed on an unmoved ref (a stale lock), no landing before this time. */
  private stalledUntil = 0;
  /** Scratch worktrees asked for so far (slots 0..n-1, CheckPort.prepare). */
  private preparedSlots = 0;
  /** The way onto the rig's upstream, used while it lands upstream; null: the engine has no upstream port. */
  private readonly upstream: UpstreamLanding | null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly rig: Rig,
    private readonly queue: MergeQueue,
    private readonly checks: CheckPort,
    upstream: UpstreamPort | null,
    readonly stats: RefineryStats,
    private readonly hooks: RefineryHooks,
  ) {
    this.window = new SpeculativeWindow(ctx, rig, checks, stats, () => this.kick());
    this.upstream = upstream && new UpstreamLanding(ctx, upstream, rig);
  }

  private get ref(): string {
    return `refs/heads/${this.rig.targetBranch}`;
  }

  /** Requests held by workers, in landing order. */
  inFlight(): WindowView[] {
    return this.window.items.map((i) => ({ mr: i.mr, stage: i.stage, worker: i.slot }));
  }

  /** Requests waiting for a worker, in the order they will be taken. */
  pending(): MergeRequest[] {
    return this.queue
      .all()
      .filter((mr) => mr.status === 'queued')
      .sort(queueOrder(this.ctx.clock.now(), this.rig.settings.agingStepMs));
  }

  /** The whole queue in landing order. */
  landingOrder(): MergeRequest[] {
    return [...this.window.items.map((i) => i.mr), ...this.pending()];
  }

  /** Workers currently merging or running checks. */
  busyWorkers(): number {
    return this.window.items.filter((i) => i.stage === 'speculating' || i.stage === 'validating').length;
  }

  /** What a patrol should know: a locked target ref, validations running past their timeouts. */
  health(): string[] {
    const findings: string[] = [];
    if (this.casStalls > 0) findings.push(`target ${this.ref} could not be updated ${this.casStalls} times (stale lock?)`);
    if (this.rig.settings.landing === 'upstream')
      findings.push(...(this.upstream?.health() ?? ['lands upstream, but no upstream is configured']));
    const limit = this.rig.settings.checks.reduce((sum, g) => sum + g.timeoutMs, 0) + 60_000;
    const now = this.ctx.clock.now();
    for (const item of this.window.items) {
      if (item.stage === 'validating' && item.validatingSince !== null && now - item.validatingSince > limit) {
        findings.push(`validation of ${item.mr.id} running for ${Math.round((now - item.validatingSince) / 1000)} s`);
      }
      if (item.runErrors >= 3) findings.push(`merging or validating ${item.mr.id} failed ${item.runErrors} times`);
    }
    return findings;
  }

  get busy(): boolean {
    return this.window.items.length > 0;
  }

  /** Asks the Refinery to look at its queue; cheap, coalesced and idempotent. */
  kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Stops taking work and kills running checks; a landing in progress finishes. */
  stop(): void {
    this.stopped = true;
    this.upstream?.stop();
    for (const item of this.window.items) item.abort?.abort();
  }

  /**
   * Stops, lets a landing in hand finish, and puts every request it held back in the
   * queue, so they can move (a split or merge of rigs). `resume` starts it again.
   */
  async drain(): Promise<void> {
    this.stop();
    // A rig lost to another node (cluster mode) drains with its writes fenced: the landing's
    // intent and the requeues are refused, and the new owner's reconcile decides them instead.
    while (this.landing) await this.landing.catch(unlessFenced);
    for (const item of [...this.window.items]) {
      this.window.remove(item);
      await this.queue.transition(item.mr, 'requeue', { mergeCommit: null }).catch(unlessFenced);
    }
    this.window.endBisection();
  }

  /** Takes work again after `drain`, from a fresh read of the target. */
  resume(): void {
    this.stopped = false;
    this.tip = null;
    this.kick();
  }

  // ------------------------------------------------------------------ the pump

  /** One reconciliation pass: decide what to do next from the current state. */
  private pump(): void {
    if (this.stopped || this.rig.status === 'retired') return;
    this.upstream?.keepFetching(() =>
      this.ctx.track(
        this.fetchUpstream().catch((error: unknown) =>
          this.ctx.log.warn(`refinery ${this.rig.name}: fetching the upstream failed`, { error: String(error) }),
        ),
        `refinery ${this.rig.name}: fetch`,
      ),
    );
    this.prepareSlots();
    if (this.tip === null) {
      this.refreshTip();
      return;
    }
    this.resolveHead();
    this.resize();
    this.window.speculate(this.tip);
    this.window.validate();
    this.landPrefix();
  }

  /**
   * Has the check port create the workers' scratch worktrees ahead of their first
   * validations (on start, and when workers are added), instead of in their way.
   */
  private prepareSlots(): void {
    const { mergeMode, refineryWorkers, checks, setup } = this.rig.settings;
    const slots = mergeMode === 'batch' ? 1 : refineryWorkers;
    if (!this.checks.prepare || checks.length === 0 || slots <= this.preparedSlots) return;
    this.preparedSlots = slots;
    this.ctx.track(
      this.checks
        .prepare({ repo: this.rig.repoPath, rig: this.rig.name, slots, commit: this.ref, setup })
        // Not fatal: a validation creates a missing scratch worktree itself.
        .catch((err: unknown) =>
          this.ctx.log.warn(`refinery ${this.rig.name}: preparing scratch worktrees failed`, { error: String(err) }),
        ),
      `refinery ${this.rig.name}: prepare scratch worktrees`,
    );
  }

  private refreshTip(): void {
    if (this.resolvingTip) return;
    this.resolvingTip = true;
    this.ctx.track(
      this.ctx.git.resolveRef(this.rig.repoPath, this.ref).then((tip) => {
        this.tip = tip;
        this.resolvingTip = false;
        this.kick();
      }),
      `refinery ${this.rig.name}: read target`,
    );
  }

  /** The head of the window failed against the target itself: send it back. */
  private resolveHead(): void {
    for (;;) {
      const head = this.window.items[0];
      if (!head || head.base !== this.tip) return;
      if (head.stage === 'blocked') {
        this.window.remove(head);
        void this.queue.transition(head.mr, 'conflict', { conflictFiles: head.conflictFiles });
        this.stats.recordAttempt(this.ctx.clock.now(), 'conflicted');
        this.hooks.conflicted(head.mr, head.conflictFiles);
      } else if (head.stage === 'failed' && head.failure) {
        const { check, output } = head.failure;
        this.window.remove(head);
        void this.queue.transition(head.mr, 'reject', { failedCheck: check, checkOutput: output, checkRuns: head.checkRuns });
        this.stats.recordAttempt(this.ctx.clock.now(), 'rejected');
        this.hooks.rejected(head.mr, check, output);
      } else return;
    }
  }

  /** Trims the window to capacity (workers went down) and fills it from the queue. */
  private resize(): void {
    const { mergeMode, batchSize, refineryWorkers } = this.rig.settings;
    const capacity = mergeMode === 'batch' ? batchSize : refineryWorkers;
    while (!this.landing && this.window.items.length > capacity) {
      const item = this.window.items[this.window.items.length - 1];
      this.window.remove(item);
      void this.queue.transition(item.mr, 'requeue', { mergeCommit: null });
    }
    const pending = this.window.items.length < capacity ? this.pending() : [];
    while (this.window.items.length < capacity && pending.length > 0) {
      const mr = pending.shift()!;
      void this.queue.transition(mr, 'claim');
      this.window.add(mr);
    }
  }

  // ------------------------------------------------------------------ landing

  /** Lands the longest validated prefix of the window with one compare-and-swap. */
  private landPrefix(): void {
    if (this.landing) return;
    const prefix: WindowItem[] = [];
    for (const item of this.window.items) {
      if (item.stage !== 'passed') break;
      prefix.push(item);
    }
    if (prefix.length === 0 || prefix[0].base !== this.tip) return;
    if (this.ctx.clock.now() < this.stalledUntil) return;
    if (this.rig.settings.landing === 'upstream' && !this.upstream) return; // never locally instead (health() says why)
    this.landing = this.land(prefix).finally(() => {
      this.landing = null;
      this.kick();
    });
    this.ctx.track(this.landing, `refinery ${this.rig.name}: land`);
  }

  /** No landing for a while (the `failures`-th in a row); the pump looks again after it. */
  private backOff(failures: number): null {
    const backoff = backoffMs(failures);
    this.stalledUntil = this.ctx.clock.now() + backoff;
    this.ctx.clock.setTimer(backoff, () => this.kick());
    return null;
  }

  /**
   * The target moved from `from` to `to` by commits not of this Refinery: the window is
   * re-merged on `to` (the pump sees the new tip). Validations are kept where they still
   * hold: all of them when only files outside this rig's scope changed (a sibling
   * partition); landing upstream, those of the requests ahead of the first one whose files
   * the new upstream commits touch. Returns the reason, for the event.
   */
  private async retarget(from: string, to: string, upstream: UpstreamLanding | null): Promise<string> {
    const items = [...this.window.items];
    let carry = 0;
    let reason = 'target moved';
    if (await this.movedOutsideScope(from, to)) {
      carry = items.length;
      reason = 'moved by another partition: merges redone, validations kept';
    } else if (upstream) {
      carry = await upstream.untouchedBy(
        from,
        to,
        items.map((item) => item.mr.headSha),
      );
      reason = carry > 0 ? `upstream moved: merges redone, validations kept for ${carry}` : 'upstream moved';
    }
    items.forEach((item, i) => (item.carried = i < carry && item.stage === 'passed'));
    this.tip = to;
    return reason;
  }

  /**
   * Fetches the upstream and moves the local target onto it, between landings (never
   * during one), then re-merges the window on the new tip (rig.fetch, and every
   * `fetchIntervalMs`).
   */
  async fetchUpstream(): Promise<FetchResult> {
    const upstream = this.upstream?.active ? this.upstream : null;
    if (!upstream) throw conflict(`rig '${this.rig.name}' does not land upstream`);
    while (this.landing) await this.landing.catch(() => undefined);
    const work = (async (): Promise<FetchResult> => {
      const { tip, moved, diverged } = await upstream.follow();
      const before = this.tip;
      if (before !== null && tip !== before) {
        const reason = await this.retarget(before, tip, upstream);
        const head = this.window.items[0];
        if (head)
          this.ctx.emit({ type: 'refinery.ref_moved', at: this.ctx.clock.now(), rig: this.rig.name, mr: head.mr.id, reason });
      }
      return { rig: this.rig.name, tip, moved, diverged };
    })();
    const done = () => {
      this.landing = null;
      this.kick();
    };
    this.landing = work.then(done, done);
    return work;
  }

  /**
   * Whether the target moved only by files this rig's scope does not own: a sibling
   * partition landed. Partitions contend on the ref, not on content, so what was
   * validated here stays valid and only the (cheap) merge is redone.
   */
  private async movedOutsideScope(from: string, to: string): Promise<boolean> {
    if (isWholeRepository(this.rig.settings)) return false;
    if (!(await this.ctx.git.isAncestor(this.rig.repoPath, from, to))) return false;
    const files = await this.ctx.git.changedFiles(this.rig.repoPath, from, to);
    return files.every((file) => !owns(this.rig.settings, file));
  }

  private async land(prefix: WindowItem[]): Promise<void> {
    const { git, clock } = this.ctx;
    const oldTip = this.tip!;
    const last = prefix[prefix.length - 1];
    const started = performance.now();
    const upstream = this.upstream?.active ? this.upstream : null;
    // Intent before effect: if we die after update-ref (or the push), the restart finds these commits on the target.
    await Promise.all(prefix.map((item) => this.queue.update(item.mr, { mergeCommit: item.spec })));
    let moved: boolean;
    let now: string | null = null;
    if (upstream) {
      const result = await upstream.land(last.spec!, oldTip).catch((error: unknown) => this.backOff(upstream.failed(error)));
      if (!result) return; // unreachable: the intents stay (it may have landed); tried again after a backoff
      moved = result.moved;
      if (!result.moved) now = result.now;
    } else moved = await git.compareAndSwapRef(this.rig.repoPath, this.ref, last.spec!, oldTip);
    if (!moved) {
      await Promise.all(prefix.map((item) => this.queue.update(item.mr, { mergeCommit: null })));
      now ??= await git.resolveRef(this.rig.repoPath, this.ref);
      const reason = now === oldTip ? 'target moved' : await this.retarget(oldTip, now, upstream);
      this.ctx.emit({ type: 'refinery.ref_moved', at: clock.now(), rig: this.rig.name, mr: prefix[0].mr.id, reason });
      if (now === oldTip) {
        // The ref did not move yet the swap failed: a stale lock. Back off instead of spinning.
        this.backOff(++this.casStalls);
        this.ctx.log.warn(`refinery ${this.rig.name}: cannot update ${this.ref} (locked?)`, { stalls: this.casStalls });
      }
      this.tip = now;
      return;
    }
    this.casStalls = 0;
    this.tip = last.spec;
    this.window.endBisection();
    const casMs = (performance.now() - started) / prefix.length;
    for (const item of prefix) {
      this.window.remove(item);
      const now = clock.now();
      const queueMs = now - item.mr.enqueuedAt;
      await this.queue.transition(item.mr, 'land', {
        landedAt: now,
        conflictFiles: [],
        failedCheck: null,
        checkOutput: null,
        checkRuns: item.checkRuns,
      });
      this.stats.recordAttempt(now, 'merged', queueMs);
      this.ctx.emit({
        type: 'mr.merged',
        at: now,
        rig: this.rig.name,
        mr: item.mr.id,
        bead: item.mr.beadId,
        mergeCommit: item.spec!,
        attempts: item.mr.attempts,
        queueMs,
        mergeMs: item.mergeMs + casMs,
      });
      this.hooks.landed(item.mr);
    }
  }
}

/** Rethrows anything but a fenced write (docs/cluster.md, "Fencing"). */
function unlessFenced(error: unknown): void {
  if (!isFenced(error)) throw error;
}
