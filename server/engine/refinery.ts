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
 * worker runs the rig's validation gates on one speculative commit in its own scratch
 * worktree. The longest validated prefix of the window lands with one compare-and-swap
 * of the target ref to the last commit of that prefix: order is kept, and the target
 * never holds half of a prefix. When a request ahead fails or conflicts, the ones that
 * were speculated on top of it are re-based and re-validated. A request that conflicts
 * with, or fails on, the current target itself goes back to its polecat.
 *
 * Batch mode validates the whole window with one gate run on its last commit; a failing
 * batch is bisected (validate the first half, land it if it passes, and so on) until the
 * failing request is found and rejected.
 *
 * A rig landing upstream pushes the prefix's last commit to the upstream first and moves
 * its local target after (upstream-landing.ts); it fetches on an interval, and its target
 * follows the upstream.
 *
 * Crash safety: each request's speculative commit is persisted as its merge intent
 * before the ref moves (before the push, landing upstream). On restart or attach (recovery.ts) a request caught mid-merge landed iff
 * its intent commit is on the target; everything else goes back to the queue.
 */
import type { EngineContext } from './context';
import type { MergeQueue } from './merge-queue';
import { queueOrder } from './merge-request';
import type { MergeRequest, Rig } from '../../contracts/records';
import { backoffMs } from './backoff';
import { isWholeRepository, owns } from './partitions';
import { conflict } from './errors';
import type { GatePort, UpstreamPort } from './ports';
import type { RefineryStats } from './refinery-stats';
import { UpstreamLanding } from './upstream-landing';

export interface RefineryHooks {
  /** The request's merge commit is on the target branch. */
  landed(mr: MergeRequest): void;
  /** The request conflicts with the target; its polecat must rework it. */
  conflicted(mr: MergeRequest, files: string[]): void;
  /** A validation gate failed on the request over the current target. */
  rejected(mr: MergeRequest, gate: string, output: string): void;
}

export type Stage = 'speculating' | 'speculated' | 'validating' | 'passed' | 'failed' | 'blocked';

/** A request a worker holds, with its speculative state. */
interface WindowItem {
  mr: MergeRequest;
  slot: number;
  /** The commit it was merged onto (target tip or the speculative commit ahead of it). */
  base: string | null;
  /** The speculative merge commit: base + this request. */
  spec: string | null;
  stage: Stage;
  /** Bumped whenever the base changes, so late results of an older speculation are ignored. */
  gen: number;
  abort: AbortController | null;
  failure: { gate: string; output: string } | null;
  conflictFiles: string[];
  /** Real ms spent on this request's git merge path. */
  mergeMs: number;
  /** Engine time its current validation started, if validating. */
  validatingSince: number | null;
  /**
   * Validated, then the target moved by commits outside this rig's scope (a sibling
   * partition landed): the merge is redone on the new tip and the validation kept.
   */
  carried: boolean;
  /** git or the gates could not run this many times in a row (infrastructure, not the request). */
  runErrors: number;
  /** No new validation before this engine time (backing off after `runErrors`). */
  notBefore: number;
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
  private window: WindowItem[] = [];
  private tip: string | null = null;
  private resolvingTip = false;
  private landing: Promise<void> | null = null;
  private stopped = false;
  private scheduled = false;
  /** Batch mode: bisection limit (index into the window) while hunting a failing request. */
  private probeLimit: number | null = null;
  private casStalls = 0;
  /** After a swap failed on an unmoved ref (a stale lock), no landing before this time. */
  private stalledUntil = 0;
  /** Scratch worktrees asked for so far (slots 0..n-1, GatePort.prepare). */
  private preparedSlots = 0;
  /** Landing upstream: the fetch schedule and its interval, pushes that failed in a row, the last reason. */
  private fetchTimer: { stop(): void } | null = null;
  private fetchEvery: number | null = null;
  private pushFailures: { count: number; reason: string } = { count: 0, reason: '' };
  private diverged = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly rig: Rig,
    private readonly queue: MergeQueue,
    private readonly gates: GatePort,
    private readonly upstream: UpstreamPort | null,
    readonly stats: RefineryStats,
    private readonly hooks: RefineryHooks,
  ) {}

  private get ref(): string {
    return `refs/heads/${this.rig.targetBranch}`;
  }

  /** Requests held by workers, in landing order. */
  inFlight(): WindowView[] {
    return this.window.map((i) => ({ mr: i.mr, stage: i.stage, worker: i.slot }));
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
    return [...this.window.map((i) => i.mr), ...this.pending()];
  }

  /** Workers currently merging or running gates. */
  busyWorkers(): number {
    return this.window.filter((i) => i.stage === 'speculating' || i.stage === 'validating').length;
  }

  /** What a patrol should know: a locked target ref, validations running past their timeouts. */
  health(): string[] {
    const findings: string[] = [];
    if (this.casStalls > 0) findings.push(`target ${this.ref} could not be updated ${this.casStalls} times (stale lock?)`);
    if (this.rig.settings.landing === 'upstream' && !this.upstream)
      findings.push('lands upstream, but no upstream is configured');
    if (this.pushFailures.count > 0)
      findings.push(`pushing to the upstream failed ${this.pushFailures.count} times: ${this.pushFailures.reason}`);
    if (this.diverged)
      findings.push(`the upstream's ${this.rig.targetBranch} does not contain the local target (rewritten?): nothing lands`);
    const limit = this.rig.settings.gates.reduce((sum, g) => sum + g.timeoutMs, 0) + 60_000;
    const now = this.ctx.clock.now();
    for (const item of this.window) {
      if (item.stage === 'validating' && item.validatingSince !== null && now - item.validatingSince > limit) {
        findings.push(`validation of ${item.mr.id} running for ${Math.round((now - item.validatingSince) / 1000)} s`);
      }
      if (item.runErrors >= 3) findings.push(`merging or validating ${item.mr.id} failed ${item.runErrors} times`);
    }
    return findings;
  }

  get busy(): boolean {
    return this.window.length > 0;
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

  /** Stops taking work and kills running gates; a landing in progress finishes. */
  stop(): void {
    this.stopped = true;
    this.fetchTimer?.stop();
    this.fetchTimer = null;
    this.fetchEvery = null;
    for (const item of this.window) item.abort?.abort();
  }

  /**
   * Stops, lets a landing in hand finish, and puts every request it held back in the
   * queue, so they can move (a split or merge of rigs). `resume` starts it again.
   */
  async drain(): Promise<void> {
    this.stop();
    while (this.landing) await this.landing;
    for (const item of [...this.window]) {
      this.remove(item);
      await this.queue.transition(item.mr, 'requeue', { mergeCommit: null });
    }
    this.probeLimit = null;
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
    this.followOnInterval();
    this.prepareSlots();
    if (this.tip === null) {
      this.refreshTip();
      return;
    }
    this.resolveHead();
    this.resize();
    this.speculate();
    if (this.rig.settings.mergeMode === 'batch') this.probeBatch();
    else this.validateEach();
    this.landPrefix();
  }

  /**
   * Has the gate port create the workers' scratch worktrees ahead of their first
   * validations (on start, and when workers are added), instead of in their way.
   */
  private prepareSlots(): void {
    const { mergeMode, refineryWorkers, gates } = this.rig.settings;
    const slots = mergeMode === 'batch' ? 1 : refineryWorkers;
    if (!this.gates.prepare || gates.length === 0 || slots <= this.preparedSlots) return;
    this.preparedSlots = slots;
    this.ctx.track(
      this.gates
        .prepare({ repo: this.rig.repoPath, rig: this.rig.name, slots, commit: this.ref })
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
      const head = this.window[0];
      if (!head || head.base !== this.tip) return;
      if (head.stage === 'blocked') {
        this.remove(head);
        void this.queue.transition(head.mr, 'conflict', { conflictFiles: head.conflictFiles });
        this.stats.recordAttempt(this.ctx.clock.now(), 'conflicted');
        this.hooks.conflicted(head.mr, head.conflictFiles);
      } else if (head.stage === 'failed' && head.failure) {
        const { gate, output } = head.failure;
        this.remove(head);
        void this.queue.transition(head.mr, 'reject', { failedGate: gate, gateOutput: output });
        this.stats.recordAttempt(this.ctx.clock.now(), 'rejected');
        this.hooks.rejected(head.mr, gate, output);
      } else return;
    }
  }

  /** Trims the window to capacity (workers went down) and fills it from the queue. */
  private resize(): void {
    const { mergeMode, batchSize, refineryWorkers } = this.rig.settings;
    const capacity = mergeMode === 'batch' ? batchSize : refineryWorkers;
    while (!this.landing && this.window.length > capacity) {
      const item = this.window[this.window.length - 1];
      this.remove(item);
      void this.queue.transition(item.mr, 'requeue', { mergeCommit: null });
    }
    const pending = this.window.length < capacity ? this.pending() : [];
    while (this.window.length < capacity && pending.length > 0) {
      const mr = pending.shift()!;
      void this.queue.transition(mr, 'claim');
      this.window.push({
        mr,
        slot: this.freeSlot(),
        base: null,
        spec: null,
        stage: 'speculating',
        gen: 0,
        abort: null,
        failure: null,
        conflictFiles: [],
        mergeMs: 0,
        validatingSince: null,
        carried: false,
        runErrors: 0,
        notBefore: 0,
      });
    }
  }

  private freeSlot(): number {
    const used = new Set(this.window.map((i) => i.slot));
    let slot = 0;
    while (used.has(slot)) slot++;
    return slot;
  }

  private remove(item: WindowItem): void {
    item.abort?.abort();
    item.gen++;
    this.window = this.window.filter((i) => i !== item);
  }

  /**
   * The base a request must be validated on: the speculative commit of the nearest request
   * ahead of it that is not failing, or the target tip. Undefined while that one is still
   * being merged (the request waits for it).
   */
  private expectedBase(index: number): string | undefined {
    for (let j = index - 1; j >= 0; j--) {
      const ahead = this.window[j];
      if (ahead.stage === 'failed' || ahead.stage === 'blocked') continue;
      return ahead.spec ?? undefined;
    }
    return this.tip ?? undefined;
  }

  private speculate(): void {
    for (let i = 0; i < this.window.length; i++) {
      const item = this.window[i];
      const base = this.expectedBase(i);
      if (base === undefined) return; // everything behind waits for the one ahead
      if (item.base === base && item.stage !== 'speculating') continue;
      if (item.base === base && item.stage === 'speculating') return; // in progress
      if (item.notBefore > this.ctx.clock.now()) return; // backing off after git failed
      const carry = item.carried && item.stage === 'passed';
      item.carried = false;
      item.abort?.abort();
      item.gen++;
      item.base = base;
      item.spec = null;
      item.stage = 'speculating';
      item.failure = null;
      if (this.rig.settings.mergeMode === 'batch') this.probeLimit = null;
      const gen = item.gen;
      this.ctx.track(
        this.mergeOnto(item, gen, base, carry).catch((err: unknown) => this.mergeFailed(item, gen, err)),
        `refinery ${this.rig.name}: merge ${item.mr.id}`,
      );
      return; // the ones behind need this result first
    }
  }

  private async mergeOnto(item: WindowItem, gen: number, base: string, keepValidation: boolean): Promise<void> {
    const { git } = this.ctx;
    const started = performance.now(); // real time on purpose: this measures git, not the town
    if (this.rig.settings.landing === 'upstream' && (await git.isAncestor(this.rig.repoPath, item.mr.headSha, base))) {
      // Already on the target: a push that landed unseen (the upstream unreachable at a
      // restart's reconcile). A new merge commit would land it twice; land it as it is.
      if (item.gen !== gen) return;
      item.spec = base;
      item.stage = 'passed';
      this.kick();
      return;
    }
    const merged = await git.mergeTree(this.rig.repoPath, base, item.mr.headSha);
    if (item.gen !== gen) return;
    if (!merged.clean) {
      item.stage = 'blocked';
      item.conflictFiles = merged.conflictFiles;
      item.mergeMs += performance.now() - started;
      this.kick();
      return;
    }
    const commit = await git.commitTree(
      this.rig.repoPath,
      merged.tree,
      [base, item.mr.headSha],
      `Merge ${item.mr.branch} (${item.mr.beadId}) via ${item.mr.id}`,
    );
    if (item.gen !== gen) return;
    item.mergeMs += performance.now() - started;
    item.spec = commit;
    item.stage = keepValidation ? 'passed' : 'speculated';
    this.kick();
  }

  /**
   * git itself failed (a process could not start, a lock was held): not the request's
   * fault, and left alone it would hold the window for ever. Merge again after a backoff;
   * health() reports it when it keeps happening.
   */
  private mergeFailed(item: WindowItem, gen: number, err: unknown): void {
    if (item.gen !== gen) return;
    this.ctx.log.warn(`refinery ${this.rig.name}: merging ${item.mr.id} failed`, { error: String(err) });
    item.runErrors++;
    item.base = null; // re-speculated when the backoff ends
    const backoff = backoffMs(item.runErrors);
    item.notBefore = this.ctx.clock.now() + backoff;
    this.ctx.clock.setTimer(backoff, () => this.kick());
  }

  // ------------------------------------------------------------------ validation

  private validateEach(): void {
    const now = this.ctx.clock.now();
    for (const item of this.window) {
      if (item.stage === 'speculated' && item.notBefore <= now) this.startValidation(item, [item]);
    }
  }

  /** Batch mode: one gate run covers every request up to the probe (bisecting on failure). */
  private probeBatch(): void {
    if (this.window.some((i) => i.stage === 'validating' || i.stage === 'speculating')) return;
    const limit = this.probeLimit ?? Number.POSITIVE_INFINITY;
    const covered = this.window.filter((i, idx) => idx <= limit && (i.stage === 'speculated' || i.stage === 'passed'));
    if (covered.length === 0 || covered.every((i) => i.stage === 'passed')) return;
    if (covered[covered.length - 1].notBefore > this.ctx.clock.now()) return;
    this.startValidation(covered[covered.length - 1], covered);
  }

  private startValidation(probe: WindowItem, covered: WindowItem[]): void {
    const gens = covered.map((i) => i.gen);
    const current = () => covered.every((item, k) => item.gen === gens[k] && this.window.includes(item));
    const abort = new AbortController();
    probe.abort = abort;
    probe.stage = 'validating';
    probe.validatingSince = this.ctx.clock.now();
    const slot = this.rig.settings.mergeMode === 'batch' ? 0 : probe.slot;
    const run = this.gates
      .validate({
        repo: this.rig.repoPath,
        rig: this.rig.name,
        slot,
        commit: probe.spec!,
        gates: this.rig.settings.gates,
        signal: abort.signal,
      })
      .then(
        (result) => {
          if (!current()) {
            // Something it covered was re-based meanwhile: this result is void; probe again.
            if (probe.stage === 'validating' && probe.gen === gens[covered.indexOf(probe)]) probe.stage = 'speculated';
            this.kick();
            return;
          }
          probe.abort = null;
          probe.runErrors = 0;
          const now = this.ctx.clock.now();
          this.stats.recordValidation(now, result.ok, result.durationMs);
          this.ctx.emit({
            type: 'refinery.validated',
            at: now,
            rig: this.rig.name,
            mr: probe.mr.id,
            slot,
            ok: result.ok,
            durationMs: result.durationMs,
            covers: covered.length,
          });
          this.settleValidation(probe, covered, result.ok ? null : { gate: result.failedGate ?? 'gate', output: result.output });
          this.kick();
        },
        (err: unknown) => {
          if (err instanceof Error && err.name === 'AbortError') return; // superseded: a newer speculation runs
          // The gates could not run at all (a process could not start, a scratch worktree
          // broke): not the request's fault. Validate again after a backoff rather than
          // leave it "validating" for ever; health() reports it when it keeps happening.
          this.ctx.log.warn(`refinery ${this.rig.name}: gates of ${probe.mr.id} could not run`, { error: String(err) });
          probe.abort = null;
          if (probe.stage !== 'validating' || !current()) return this.kick();
          probe.runErrors++;
          const backoff = backoffMs(probe.runErrors);
          probe.notBefore = this.ctx.clock.now() + backoff;
          for (const item of covered) if (item.stage === 'validating') item.stage = 'speculated';
          this.ctx.clock.setTimer(backoff, () => this.kick());
        },
      );
    if (this.gates.waitsOnClock) run.catch((err: unknown) => this.ctx.log.error('validation failed', { error: String(err) }));
    else this.ctx.track(run, `refinery ${this.rig.name}: validate ${probe.mr.id}`);
  }

  private settleValidation(probe: WindowItem, covered: WindowItem[], failure: WindowItem['failure']): void {
    if (!failure) {
      for (const item of covered) item.stage = 'passed';
      return;
    }
    if (covered.length === 1) {
      probe.stage = 'failed';
      probe.failure = failure;
      return;
    }
    // Bisect: validate the first half next; the probe and the rest wait as 'speculated'.
    for (const item of covered) if (item.stage !== 'passed') item.stage = 'speculated';
    const half = covered[Math.ceil(covered.length / 2) - 1];
    this.probeLimit = this.window.indexOf(half);
  }

  // ------------------------------------------------------------------ landing

  /** Lands the longest validated prefix of the window with one compare-and-swap. */
  private landPrefix(): void {
    if (this.landing) return;
    const prefix: WindowItem[] = [];
    for (const item of this.window) {
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

  /**
   * The target moved from `from` to `to` by commits not of this Refinery: the window is
   * re-merged on `to` (the pump sees the new tip). Validations are kept where they still
   * hold: everything, when only files outside this rig's scope changed (a sibling
   * partition); landing upstream, the requests ahead of the first one whose files the new
   * upstream commits touch. Returns the reason, for the event.
   */
  private async retarget(from: string, to: string, upstream: UpstreamLanding | null): Promise<string> {
    const items = [...this.window];
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

  /** The rig's way onto its upstream, or null when it lands locally. */
  private upstreamLanding(): UpstreamLanding | null {
    if (this.rig.settings.landing !== 'upstream' || !this.upstream) return null;
    return new UpstreamLanding(this.ctx, this.upstream, this.rig);
  }

  /** The upstream could not be reached for a push: back off, say so in health(). */
  private pushFailed(error: unknown): null {
    const count = this.pushFailures.count + 1;
    this.pushFailures = { count, reason: String(error instanceof Error ? error.message : error) };
    this.ctx.log.warn(`refinery ${this.rig.name}: pushing to the upstream failed`, { error: this.pushFailures.reason, count });
    const backoff = backoffMs(count);
    this.stalledUntil = this.ctx.clock.now() + backoff;
    this.ctx.clock.setTimer(backoff, () => this.kick());
    return null;
  }

  /** Landing upstream: fetches every `fetchIntervalMs` while the Refinery runs (re-armed when it changes). */
  private followOnInterval(): void {
    const every = this.upstreamLanding() ? this.rig.settings.fetchIntervalMs : null;
    if (every === this.fetchEvery) return;
    this.fetchTimer?.stop();
    this.fetchTimer = null;
    this.fetchEvery = every;
    if (every === null) return;
    this.fetchTimer = everyShim(this.ctx.clock, every, () =>
      this.ctx.track(
        this.fetchUpstream().catch((error: unknown) =>
          this.ctx.log.warn(`refinery ${this.rig.name}: fetching the upstream failed`, { error: String(error) }),
        ),
        `refinery ${this.rig.name}: fetch`,
      ),
    );
  }

  /**
   * Fetches the upstream and moves the local target onto it, between landings (never
   * during one), then re-merges the window on the new tip.
   */
  async fetchUpstream(): Promise<FetchResult> {
    const upstream = this.upstreamLanding();
    if (!upstream) throw conflict(`rig '${this.rig.name}' does not land upstream`);
    while (this.landing) await this.landing.catch(() => undefined);
    const work = (async (): Promise<FetchResult> => {
      const { tip, moved, diverged } = await upstream.follow();
      this.diverged = diverged;
      const before = this.tip;
      if (before !== null && tip !== before) {
        const reason = await this.retarget(before, tip, upstream);
        const head = this.window[0];
        if (head)
          this.ctx.emit({ type: 'refinery.ref_moved', at: this.ctx.clock.now(), rig: this.rig.name, mr: head.mr.id, reason });
      }
      return { rig: this.rig.name, tip, moved, diverged };
    })();
    this.landing = work.then(
      () => {
        this.landing = null;
        this.kick();
      },
      () => {
        this.landing = null;
        this.kick();
      },
    );
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
    const upstream = this.upstreamLanding();
    // Intent before effect: if we die after update-ref (or the push), the restart finds these commits on the target.
    await Promise.all(prefix.map((item) => this.queue.update(item.mr, { mergeCommit: item.spec })));
    let moved: boolean;
    let now: string | null = null;
    if (upstream) {
      const result = await upstream.land(last.spec!, oldTip).catch((error: unknown) => this.pushFailed(error));
      if (!result) return; // unreachable: the intents stay (it may have landed), tried again after a backoff
      this.pushFailures = { count: 0, reason: '' };
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
        this.casStalls++;
        const backoff = backoffMs(this.casStalls);
        this.stalledUntil = clock.now() + backoff;
        this.ctx.clock.setTimer(backoff, () => this.kick());
        this.ctx.log.warn(`refinery ${this.rig.name}: cannot update ${this.ref} (locked?)`, { stalls: this.casStalls });
      }
      this.tip = now;
      return;
    }
    this.casStalls = 0;
    this.tip = last.spec;
    this.probeLimit = null;
    const casMs = (performance.now() - started) / prefix.length;
    for (const item of prefix) {
      this.remove(item);
      const now = clock.now();
      const queueMs = now - item.mr.enqueuedAt;
      await this.queue.transition(item.mr, 'land', { landedAt: now, conflictFiles: [], failedGate: null, gateOutput: null });
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

// TEMP until Clock.every lands on main (assembly-utilities).
function everyShim(clock: EngineContext['clock'], ms: number, fn: () => void): { stop(): void } {
  let handle = clock.setTimer(ms, function tick() {
    handle = clock.setTimer(ms, tick);
    fn();
  });
  return { stop: () => clock.clearTimer(handle) };
}
