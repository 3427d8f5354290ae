/**
 * Refinery throughput against its worker count, on real time with one validation check of
 * fixed duration, `sh -c 'sleep <s> && test ! -e GT_CHECK_FAIL'` (see checkSpecs; no Node
 * start-up), so a request fails its check exactly when its merge result
 * holds the marker file, which round(failureRate × requests) of the prepared branches
 * write (picked by a seeded shuffle: the same requests fail at every worker count). The
 * queue is pre-filled with `requests` non-conflicting branches and drained; throughput =
 * (landed + rejected) / s.
 *
 * Every run also checks the Refinery's promise: the first-parent history of the target
 * holds exactly the passing requests in queue (enqueue) order, and exactly the marked
 * ones were rejected. A violation throws.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ScaledRealClock } from '../server/engine/clock';
import type { DomainEvent } from '../contracts/events';
import type { CheckSpec } from '../contracts/records';
import type { CheckRunResult } from '../server/engine/ports';
import { CliGit } from '../server/git/cli-git';
import { CheckRunner } from '../server/checks/check-runner';
import { processRunner, Spawner } from '../server/spawner/spawner';
import {
  MARKER,
  generateRepository,
  landingOrder,
  median,
  mergeRequestsFor,
  openTownWithQueue,
  prepareBranches,
  tempDir,
  within,
} from './support';

export interface WorkersRow {
  workers: number;
  check: 'process' | 'timer';
  /** The check's fixed duration. */
  checkMs: number;
  failureRate: number;
  /** Requests whose branch writes the marker (round(failureRate × requests)). */
  failing: number;
  requests: number;
  landed: number;
  rejected: number;
  seconds: number;
  perSecond: number;
  /** Check runs started (aborted re-speculations included) and completed with a current result. */
  checkRunsStarted: number;
  checkRunsCompleted: number;
  /** Median real ms of a completed validation (scratch checkout + the check). */
  checkMsP50: number;
  /** Completed check time / (workers × wall time): how busy the workers were. */
  utilisation: number;
  orderIdentical: boolean;
  /**
   * Where a worker slot's time goes, mean ms per request from its claim to its resolution:
   * - waitBase: claim → its merge starts (the speculative commit ahead is not there yet);
   * - merge: merge-tree + the merge commit, until its first validation starts;
   * - wasted: first validation start → final validation start (runs voided because a
   *   request ahead failed, re-merge included);
   * - validate: the final validation (scratch checkout + the check);
   * - toResolve: validated → landed or rejected (waiting for the ones ahead, the landing);
   * - rejectedHold: toResolve of the rejected ones only (a failed request keeps its slot
   *   until it reaches the head of the window);
   * - validateRetried: the final validation of requests that had a voided run before it
   *   (it waits for the aborted run to unwind in the slot's scratch worktree).
   */
  phases: {
    waitBase: number;
    merge: number;
    wasted: number;
    validate: number;
    toResolve: number;
    rejectedHold: number;
    validateRetried: number;
  };
  /** CPU ms per request of this process (the engine, spawning) and of its children (git, checks); Linux only. */
  cpu: { node: number; children: number } | null;
  /** Share of workers × wall time no request held a slot (refill gaps, the drain at the end). */
  slotIdle: number;
}

interface Span {
  claim: number;
  firstMerge: number;
  firstValidate: number;
  lastValidate: number;
  validated: number;
  resolved: number;
}

/** Timestamps per merge request, fed by the git and check ports below and by events. */
class Tracer {
  readonly spans = new Map<string, Span>();
  /** Branch head → request, and speculative commit → request. */
  readonly byCommit = new Map<string, string>();
  /** Commits (branch heads, speculative merges) whose tree holds the marker file. */
  readonly marked = new Set<string>();
  runs = 0;

  span(mr: string): Span {
    let t = this.spans.get(mr);
    if (!t) this.spans.set(mr, (t = { claim: 0, firstMerge: 0, firstValidate: 0, lastValidate: 0, validated: 0, resolved: 0 }));
    return t;
  }
}

/** The real CliGit, telling the tracer when a request's merge starts and what it made. */
class TracedGit extends CliGit {
  constructor(private readonly tracer: Tracer) {
    super();
  }

  override mergeTree(repo: string, ours: string, theirs: string) {
    const mr = this.tracer.byCommit.get(theirs);
    if (mr) {
      const t = this.tracer.span(mr);
      if (!t.firstMerge) t.firstMerge = performance.now();
    }
    return super.mergeTree(repo, ours, theirs);
  }

  override async commitTree(repo: string, tree: string, parents: string[], message: string) {
    const commit = await super.commitTree(repo, tree, parents, message);
    const mr = this.tracer.byCommit.get(parents[1] ?? '');
    if (mr) this.tracer.byCommit.set(commit, mr);
    if (parents.some((p) => this.tracer.marked.has(p))) this.tracer.marked.add(commit);
    return commit;
  }
}

/**
 * The real CheckRunner, telling the tracer when a request's validations start. With
 * `timerCheck`, no process runs at all: a validation is a real-time wait of `checkMs` and
 * fails when the commit holds the marker (known from the merges' parents). That isolates
 * the Refinery's scheduling from the cost of check processes and scratch checkouts.
 */
class TracedCheckRunner extends CheckRunner {
  constructor(
    private readonly tracer: Tracer,
    scratchRoot: string,
    private readonly timerCheck: { checkMs: number } | null,
  ) {
    super({ scratchRoot });
  }

  override validate(request: Parameters<CheckRunner['validate']>[0]) {
    this.tracer.runs++;
    const mr = this.tracer.byCommit.get(request.commit);
    if (mr) {
      const t = this.tracer.span(mr);
      const now = performance.now();
      if (!t.firstValidate) t.firstValidate = now;
      t.lastValidate = now;
    }
    return this.timerCheck ? this.waitAndCheck(request, this.timerCheck.checkMs) : super.validate(request);
  }

  private waitAndCheck(request: Parameters<CheckRunner['validate']>[0], checkMs: number): Promise<CheckRunResult> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const aborted = () => {
        clearTimeout(timer);
        const error = new Error('check validation aborted');
        error.name = 'AbortError';
        reject(error);
      };
      const timer = setTimeout(() => {
        request.signal?.removeEventListener('abort', aborted);
        const ok = !this.tracer.marked.has(request.commit);
        resolve({
          ok,
          failedCheck: ok ? null : 'marker',
          output: ok ? '' : `${MARKER} found`,
          durationMs: performance.now() - started,
        });
      }, checkMs);
      if (request.signal?.aborted) aborted();
      else request.signal?.addEventListener('abort', aborted, { once: true });
    });
  }
}

/**
 * CPU ms used so far by this process and by its reaped children, from /proc/self/stat
 * (utime, stime, cutime, cstime in clock ticks, 100 a second on Linux); null elsewhere.
 */
function cpuTimes(): { node: number; children: number } | null {
  try {
    const stat = (pid: number | 'self') => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (i: number) => Number(fields[i]) * 10;
    };
    const ms = stat('self');
    // With the spawner, git and the checks are its children, not ours: count the spawner
    // (itself and the children it has reaped) with the children.
    const runner = processRunner();
    const spawner = runner instanceof Spawner && runner.pid !== undefined ? stat(runner.pid) : null;
    const viaSpawner = spawner ? spawner(11) + spawner(12) + spawner(13) + spawner(14) : 0;
    return { node: ms(11) + ms(12), children: ms(13) + ms(14) + viaSpawner };
  } catch {
    return null;
  }
}

/** Theory for a speculative queue: sum over i=1..k of (1-p)^i, divided by (1-p). */
export function speculativeTheory(workers: number, p: number): number {
  let sum = 0;
  for (let i = 1; i <= workers; i++) sum += (1 - p) ** i;
  return sum / (1 - p);
}

/**
 * One check of fixed duration that fails when the merge result holds the marker file:
 * `sh -c 'sleep "$1" && test ! -e "$2"'` (sh starts sleep; test is built into sh).
 */
export function checkSpecs(checkMs: number): CheckSpec[] {
  return [
    {
      name: 'checks',
      command: ['sh', '-c', 'sleep "$1" && test ! -e "$2"', 'checks', String(checkMs / 1000), MARKER],
      timeoutMs: 60_000,
    },
  ];
}

export async function refineryWorkers(
  workers: number,
  options: {
    requests?: number;
    failureRate?: number;
    checkMs?: number;
    files?: number;
    seed?: number;
    /** 'process': sleep + test in scratch worktrees (the default); 'timer': no process, see TracedCheckRunner. */
    check?: 'process' | 'timer';
  } = {},
): Promise<WorkersRow> {
  const requests = options.requests ?? 60;
  const { dir, cleanup } = await tempDir('gt-bench-workers-');
  try {
    const repo = path.join(dir, 'repo');
    const files = options.files ?? 500;
    const base = await generateRepository(repo, files);
    const branches = await prepareBranches(repo, base, {
      count: requests,
      files,
      prefix: 'feature',
      seed: options.seed ?? 2026,
      failureRate: options.failureRate ?? 0.1,
    });
    const clock = new ScaledRealClock(1);
    const tracer = new Tracer();
    const checkDurationMs = options.checkMs ?? 300;
    const checks = new TracedCheckRunner(
      tracer,
      path.join(dir, 'scratch'),
      options.check === 'timer' ? { checkMs: checkDurationMs } : null,
    );
    const mergeRequests = mergeRequestsFor(branches, 'bench', clock.now() - requests);
    for (const mr of mergeRequests) tracer.byCommit.set(mr.headSha, mr.id);
    for (const b of branches) if (b.failing) tracer.marked.add(b.head);
    const town = await openTownWithQueue({
      dir,
      repo,
      clock,
      git: new TracedGit(tracer),
      checks,
      mergeRequests,
      settings: { refineryWorkers: workers, mergeMode: 'speculative', checks: checkSpecs(checkDurationMs) },
    });
    const landed: string[] = [];
    const rejected: string[] = [];
    const checkMs: number[] = [];
    const done = new Promise<void>((resolve, reject) => {
      town.bus.subscribe((e: DomainEvent) => {
        const now = performance.now();
        if (e.type === 'mr.state_changed' && e.to === 'merging') tracer.span(e.mr).claim = now;
        if (e.type === 'mr.merged' || e.type === 'mr.rejected') tracer.span(e.mr).resolved = now;
        if (e.type === 'mr.merged') landed.push(e.mr);
        else if (e.type === 'mr.rejected') rejected.push(e.mr);
        else if (e.type === 'refinery.validated') {
          checkMs.push(e.durationMs);
          tracer.span(e.mr).validated = now;
        } else if (e.type === 'mr.conflicted') reject(new Error(`refinery workers: ${e.mr} conflicted on a clean merge`));
        else return;
        if (landed.length + rejected.length === requests) resolve();
      });
    });
    // Steady state, as in a town that has been running: the workers' scratch worktrees exist
    // before the clock starts (the Refinery has them made on start and on a scale-up, see
    // CheckPort.prepare; making one is a checkout of the whole repository, once per slot).
    await checks.prepare({ repo, rig: 'bench', slots: workers, commit: 'refs/heads/main' });
    const cpuBefore = cpuTimes();
    const started = performance.now();
    town.start();
    try {
      await within(done, 180_000, `refinery with ${workers} workers`);
    } finally {
      await town.stop();
      clock.clearAll();
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuTimes();

    const expectedLanded = mergeRequests.filter((_, i) => !branches[i].failing).map((mr) => mr.id);
    const expectedRejected = mergeRequests.filter((_, i) => branches[i].failing).map((mr) => mr.id);
    const order = await landingOrder(repo, base);
    if (order.join() !== expectedLanded.join()) {
      throw new Error(
        `refinery workers=${workers}: landing order differs from queue order\n  landed:   ${order.join(' ')}\n  expected: ${expectedLanded.join(' ')}`,
      );
    }
    if ([...rejected].sort().join() !== expectedRejected.join()) {
      throw new Error(`refinery workers=${workers}: rejected ${rejected.join(' ')}, expected ${expectedRejected.join(' ')}`);
    }
    const spans = [...tracer.spans.values()];
    const mean = (f: (t: Span) => number, of = spans) => of.reduce((a, t) => a + f(t), 0) / Math.max(1, of.length);
    const rejectedSpans = rejected.map((id) => tracer.span(id));
    const held = spans.reduce((a, t) => a + (t.resolved - t.claim), 0);
    const completedMs = checkMs.reduce((a, b) => a + b, 0);
    return {
      workers,
      check: options.check ?? 'process',
      checkMs: checkDurationMs,
      failureRate: options.failureRate ?? 0.1,
      requests,
      landed: landed.length,
      rejected: rejected.length,
      failing: expectedRejected.length,
      seconds,
      perSecond: requests / seconds,
      checkRunsStarted: tracer.runs,
      checkRunsCompleted: checkMs.length,
      checkMsP50: median(checkMs),
      utilisation: completedMs / (workers * seconds * 1000),
      orderIdentical: true,
      phases: {
        waitBase: mean((t) => t.firstMerge - t.claim),
        merge: mean((t) => t.firstValidate - t.firstMerge),
        wasted: mean((t) => t.lastValidate - t.firstValidate),
        validate: mean((t) => t.validated - t.lastValidate),
        toResolve: mean((t) => t.resolved - t.validated),
        rejectedHold: mean((t) => t.resolved - t.validated, rejectedSpans),
        validateRetried: mean(
          (t) => t.validated - t.lastValidate,
          spans.filter((t) => t.lastValidate > t.firstValidate),
        ),
      },
      cpu:
        cpuBefore && cpuAfter
          ? {
              node: (cpuAfter.node - cpuBefore.node) / requests,
              children: (cpuAfter.children - cpuBefore.children) / requests,
            }
          : null,
      slotIdle: 1 - held / (workers * seconds * 1000),
    };
  } finally {
    await cleanup();
  }
}
