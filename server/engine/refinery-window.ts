/**
 * The Refinery's window: the first W requests of a rig's merge queue, held by workers,
 * each merged speculatively on the nearest request ahead of it that is not failing (or
 * on the target tip) and validated there (after Zuul's dependent pipeline). This module
 * is that pipeline (speculate, validate, bisect a failing batch); the Refinery
 * (refinery.ts) fills the window from the queue, sends back what fails on the target and
 * lands the validated prefix.
 *
 * Every asynchronous result carries the generation it was started for: a request whose
 * base changed meanwhile (something ahead failed, the target moved) ignores late results.
 */
import type { EngineContext } from './context';
import type { MergeRequest, Rig } from '../../contracts/records';
import { backoffMs } from './backoff';
import type { CheckPort, CheckRun } from './ports';
import type { RefineryStats } from './refinery-stats';

export type Stage = 'speculating' | 'speculated' | 'validating' | 'passed' | 'failed' | 'blocked';

/** A request a worker holds, with its speculative state. */
export interface WindowItem {
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
  failure: { check: string; output: string } | null;
  /** The steps of the last validation that covered it (what its merge request keeps). */
  checkRuns: CheckRun[];
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
  /** git or the checks could not run this many times in a row (infrastructure, not the request). */
  runErrors: number;
  /** No new validation before this engine time (backing off after `runErrors`). */
  notBefore: number;
}

export class SpeculativeWindow {
  private held: WindowItem[] = [];
  /** Batch mode: bisection limit (index into the window) while hunting a failing request. */
  private probeLimit: number | null = null;

  /** @param kick asks the Refinery for another pass once an asynchronous step finished. */
  constructor(
    private readonly ctx: EngineContext,
    private readonly rig: Rig,
    private readonly checks: CheckPort,
    private readonly stats: RefineryStats,
    private readonly kick: () => void,
  ) {}

  /** The requests held, in landing order. */
  get items(): readonly WindowItem[] {
    return this.held;
  }

  /** Takes a request into the window, behind the ones already held, on a free worker slot. */
  add(mr: MergeRequest): void {
    this.held.push({
      mr,
      slot: this.freeSlot(),
      base: null,
      spec: null,
      stage: 'speculating',
      gen: 0,
      abort: null,
      failure: null,
      checkRuns: [],
      conflictFiles: [],
      mergeMs: 0,
      validatingSince: null,
      carried: false,
      runErrors: 0,
      notBefore: 0,
    });
  }

  /** Lets go of a request: its running merge or validation is void from now on. */
  remove(item: WindowItem): void {
    item.abort?.abort();
    item.gen++;
    this.held = this.held.filter((i) => i !== item);
  }

  /** Forgets a batch bisection in progress (the window's prefix landed or was released). */
  endBisection(): void {
    this.probeLimit = null;
  }

  private freeSlot(): number {
    const used = new Set(this.held.map((i) => i.slot));
    let slot = 0;
    while (used.has(slot)) slot++;
    return slot;
  }

  // ------------------------------------------------------------------ speculation

  /**
   * The base a request must be validated on: the speculative commit of the nearest request
   * ahead of it that is not failing, or the target tip. Undefined while that one is still
   * being merged (the request waits for it).
   */
  private expectedBase(index: number, tip: string): string | undefined {
    for (let j = index - 1; j >= 0; j--) {
      const ahead = this.held[j];
      if (ahead.stage === 'failed' || ahead.stage === 'blocked') continue;
      return ahead.spec ?? undefined;
    }
    return tip;
  }

  /** Starts the first merge whose base is out of date (the ones behind need its result first). */
  speculate(tip: string): void {
    for (let i = 0; i < this.held.length; i++) {
      const item = this.held[i];
      const base = this.expectedBase(i, tip);
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
   * the Refinery's health() reports it when it keeps happening.
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

  /** Starts the validations that are due: each request alone, or one batch probe. */
  validate(): void {
    if (this.rig.settings.mergeMode === 'batch') this.probeBatch();
    else this.validateEach();
  }

  private validateEach(): void {
    const now = this.ctx.clock.now();
    for (const item of this.held) {
      if (item.stage === 'speculated' && item.notBefore <= now) this.startValidation(item, [item]);
    }
  }

  /** Batch mode: one check run covers every request up to the probe (bisecting on failure). */
  private probeBatch(): void {
    if (this.held.some((i) => i.stage === 'validating' || i.stage === 'speculating')) return;
    const limit = this.probeLimit ?? Number.POSITIVE_INFINITY;
    const covered = this.held.filter((i, idx) => idx <= limit && (i.stage === 'speculated' || i.stage === 'passed'));
    if (covered.length === 0 || covered.every((i) => i.stage === 'passed')) return;
    if (covered[covered.length - 1].notBefore > this.ctx.clock.now()) return;
    this.startValidation(covered[covered.length - 1], covered);
  }

  private startValidation(probe: WindowItem, covered: WindowItem[]): void {
    const gens = covered.map((i) => i.gen);
    const current = () => covered.every((item, k) => item.gen === gens[k] && this.held.includes(item));
    const abort = new AbortController();
    probe.abort = abort;
    probe.stage = 'validating';
    probe.validatingSince = this.ctx.clock.now();
    const slot = this.rig.settings.mergeMode === 'batch' ? 0 : probe.slot;
    const run = this.checks
      .validate({
        repo: this.rig.repoPath,
        rig: this.rig.name,
        slot,
        commit: probe.spec!,
        checks: this.rig.settings.checks,
        setup: this.rig.settings.setup,
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
          this.settleValidation(
            probe,
            covered,
            result.ok ? null : { check: result.failedCheck ?? 'check', output: result.output },
            result.runs ?? [],
          );
          this.kick();
        },
        (err: unknown) => {
          if (err instanceof Error && err.name === 'AbortError') return; // superseded: a newer speculation runs
          // The checks could not run at all (a process could not start, a scratch worktree
          // broke): not the request's fault. Validate again after a backoff rather than
          // leave it "validating" for ever; health() reports it when it keeps happening.
          this.ctx.log.warn(`refinery ${this.rig.name}: checks of ${probe.mr.id} could not run`, { error: String(err) });
          probe.abort = null;
          if (probe.stage !== 'validating' || !current()) return this.kick();
          probe.runErrors++;
          const backoff = backoffMs(probe.runErrors);
          probe.notBefore = this.ctx.clock.now() + backoff;
          for (const item of covered) if (item.stage === 'validating') item.stage = 'speculated';
          this.ctx.clock.setTimer(backoff, () => this.kick());
        },
      );
    if (this.checks.waitsOnClock) run.catch((err: unknown) => this.ctx.log.error('validation failed', { error: String(err) }));
    else this.ctx.track(run, `refinery ${this.rig.name}: validate ${probe.mr.id}`);
  }

  private settleValidation(probe: WindowItem, covered: WindowItem[], failure: WindowItem['failure'], runs: CheckRun[]): void {
    if (!failure) {
      for (const item of covered) {
        item.stage = 'passed';
        item.checkRuns = runs;
      }
      return;
    }
    if (covered.length === 1) {
      probe.stage = 'failed';
      probe.failure = failure;
      probe.checkRuns = runs;
      return;
    }
    // Bisect: validate the first half next; the probe and the rest wait as 'speculated'.
    for (const item of covered) if (item.stage !== 'passed') item.stage = 'speculated';
    const half = covered[Math.ceil(covered.length / 2) - 1];
    this.probeLimit = this.held.indexOf(half);
  }
}
