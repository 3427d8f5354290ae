/**
 * CheckPort on real processes: the Refinery's validation checks (tests, lint, a build...)
 * run against a merge result in a scratch worktree, one per Refinery worker slot, at
 * `<scratchRoot>/<rig>/slot-<n>`. Scratch worktrees are detached (no branch to go stale)
 * and reused: the next validation force-checks-out its commit and cleans everything
 * untracked, ignored files included, so a check never sees a previous run's leftovers.
 *
 * A rig's setup step (`npm ci`...) runs in a slot before its first checks, and again only
 * when the object ids of its inputs (lockfiles) at the commit differ from those it last
 * passed on, read with `git ls-tree` (no checkout needed to decide). While it is current
 * the clean keeps ignored files, which is where a setup's work lives (node_modules).
 * Every step's exit status, duration and output tail is returned (CheckRunResult.runs).
 *
 * Checks are started with argument arrays, never a shell, each in its own process group
 * so a timeout or an abort kills the check together with whatever it started. Like git,
 * they are started by the spawner (server/spawner), off the server's event loop.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CheckPort, CheckRun, CheckRunResult, CheckSetup } from '../engine/ports';
import { KeyedSerialQueue } from '../engine/serial-queue';
import { CliGit, canonical, exists, pathObjects, registeredWorktrees, retryOnLock, rev, withRepoLock } from '../git/cli-git';
import { GitError, runGit } from '../git/run-git';
import { townSandbox, type Sandbox, type SandboxedStart } from '../spawner/sandbox';
import { processRunner, SpawnerDiedError, type ProcessResult } from '../spawner/spawner';
import { TailBuffer } from '../spawner/tail-buffer.mjs';

/** How much of a check's stdout+stderr we keep: the end is where failures are reported. */
export const CHECK_OUTPUT_LIMIT = 16 * 1024;

/** After a check exits, how long its pipes may stay open (held by an escaped grandchild). */
const PIPE_GRACE_MS = 2_000;

export interface CheckRunnerOptions {
  /** Directory holding the scratch worktrees, one folder per rig. */
  scratchRoot: string;
  /** What keeps the town's secrets from the checks; default: the town's (spawner/sandbox.ts). */
  sandbox?: Sandbox;
}

type ValidateRequest = Parameters<CheckPort['validate']>[0];
type PrepareRequest = Parameters<NonNullable<CheckPort['prepare']>>[0];

/** How much of a passing step's output a merge request keeps: enough to see what ran. */
export const PASSED_OUTPUT_LIMIT = 4 * 1024;

/** A step of a validation: the rig's setup or one of its checks. */
interface Step {
  kind: CheckRun['kind'];
  name: string;
  command: string[];
  timeoutMs: number;
}

/** The outcome of one step; `aborted` when the validation's signal stopped it. */
interface StepOutcome {
  run: CheckRun;
  aborted: boolean;
}

function abortError(signal: AbortSignal): Error {
  const error = new Error('check validation aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/** A rig name becomes a directory name: it must be one plain path segment. */
function rigSegment(rig: string): string {
  if (rig.length === 0 || rig === '.' || rig === '..' || rig !== path.basename(rig) || rig.includes('\\')) {
    throw new Error(`Refusing rig name ${JSON.stringify(rig)} for a scratch directory`);
  }
  return rig;
}

/** The step as people name it in a failure: `check 'lint'`, `setup 'npm ci'`. */
function describeStep(step: Step): string {
  if (step.kind === 'check') return `check '${step.name}'`;
  // One line, however the arguments are written (a script passed with -e has newlines).
  const shown = step.command.join(' ').replace(/\s+/g, ' ').trim();
  return `setup '${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown}'`;
}

/** The line that says why a step failed: checks read `check 'x' <reason>`, the setup `setup 'y' failed: <reason>`. */
function failureLine(step: Step, reason: string): string {
  return step.kind === 'check' ? `${describeStep(step)} ${reason}` : `${describeStep(step)} failed: ${reason}`;
}

function spawnReason(program: string | undefined, error: { code?: string; message: string }): string {
  if (error.code === 'ENOENT') return `could not start: program not found: ${program}`;
  if (error.code === 'EACCES') return `could not start: permission denied: ${program}`;
  return `could not start: ${error.message}`;
}

/** A passing step keeps a shorter tail than a failing one (it is kept on every merge request). */
function shorterTail(tail: TailBuffer): string {
  const short = new TailBuffer(PASSED_OUTPUT_LIMIT);
  short.skipped(tail.dropped);
  short.push(tail.bytes());
  return short.text();
}

/**
 * Runs one step to completion. A spawn error is a failed step; only a spawner that dies
 * mid-run rejects (SpawnerDiedError: the outcome is unknown, the validation is retried).
 */
function runStep(step: Step, cwd: string, sandboxed: SandboxedStart, signal?: AbortSignal): Promise<StepOutcome> {
  const tail = new TailBuffer(CHECK_OUTPUT_LIMIT);
  const started = performance.now();
  const finish = (reason: string | null, exitCode: number | null, aborted = false): StepOutcome => {
    const failure = reason === null ? null : failureLine(step, reason);
    if (failure) tail.pushLine(failure);
    const run: CheckRun = {
      name: step.name,
      kind: step.kind,
      command: step.command,
      exitCode,
      ok: failure === null,
      durationMs: performance.now() - started,
      failure,
      output: failure ? tail.text() : shorterTail(tail),
    };
    return { run, aborted };
  };

  if (!Array.isArray(step.command) || step.command.length === 0 || !step.command[0]) {
    return Promise.resolve(finish('has no command', null));
  }
  if (!(step.timeoutMs > 0)) return Promise.resolve(finish(`has an invalid timeout: ${step.timeoutMs}`, null));
  if (signal?.aborted) return Promise.resolve(finish(null, null, true));

  const result: Promise<ProcessResult> = processRunner().run(
    {
      argv: sandboxed.wrap(step.command),
      cwd,
      env: sandboxed.env,
      uid: sandboxed.uid,
      gid: sandboxed.gid,
      timeoutMs: step.timeoutMs,
      killGroup: true,
      output: { mode: 'tail', limit: CHECK_OUTPUT_LIMIT },
      pipeGraceMs: PIPE_GRACE_MS,
    },
    signal,
  );
  return result.then((r) => {
    tail.skipped(r.dropped ?? 0);
    if (r.output && r.output.length > 0) tail.push(Buffer.from(r.output.buffer, r.output.byteOffset, r.output.length));
    if (r.spawnError) return finish(spawnReason(step.command[0], r.spawnError), null, r.aborted);
    if (r.aborted) return finish(null, null, true);
    if (r.timedOut) return finish(`timed out after ${step.timeoutMs} ms`, null);
    if (r.code === 0) return finish(null, 0);
    if (r.code !== null) return finish(`exited with code ${r.code}`, r.code);
    return finish(`was killed by ${r.signal ?? 'a signal'}`, null);
  });
}

/**
 * What decides whether a slot's setup is current: its command and the object ids of its
 * inputs at the commit. Read from the repository, so nothing needs checking out first.
 */
async function setupFingerprint(repo: string, commit: string, setup: CheckSetup): Promise<string> {
  const objects = await pathObjects(repo, commit, setup.inputs);
  return JSON.stringify([setup.command, setup.inputs.map((input) => objects.get(input) ?? null)]);
}

export class CheckRunner implements CheckPort {
  private readonly scratchRoot: string;
  private readonly slots = new KeyedSerialQueue();
  private readonly git = new CliGit();
  /**
   * Scratch worktrees this runner created or verified: they skip the `git worktree list`
   * check (one spawn of the five a validation costs) until a checkout there fails.
   */
  private readonly verified = new Set<string>();
  /**
   * Per scratch worktree, the fingerprint (command and input object ids) its setup last
   * passed on. In memory only: after a restart every slot runs its setup once more.
   */
  private readonly setupDone = new Map<string, string>();

  constructor(private readonly options: CheckRunnerOptions) {
    this.scratchRoot = path.resolve(options.scratchRoot);
  }

  /** Where a slot's scratch worktree lives. */
  scratchPath(rig: string, slot: number): string {
    if (!Number.isSafeInteger(slot) || slot < 0) throw new Error(`Refusing scratch slot ${slot}`);
    return path.join(this.scratchRoot, rigSegment(rig), `slot-${slot}`);
  }

  async validate({ repo, rig, slot, commit, checks, setup, signal }: ValidateRequest): Promise<CheckRunResult> {
    if (checks.length === 0) return { ok: true, failedCheck: null, output: '', durationMs: 0, runs: [] };
    const scratch = this.scratchPath(rig, slot);
    const request = { repo, rig, commit, checks, setup: setup ?? null, signal };
    // One checkout per slot: a second validation of the same slot waits its turn.
    return this.slots.run(
      scratch,
      async () => {
        const started = performance.now();
        try {
          return await this.validateIn(scratch, request, started);
        } catch (error) {
          // The spawner died under this validation: its outcome is unknown, and a validation
          // has no effect outside its scratch worktree, so it is simply run once more.
          if (!(error instanceof SpawnerDiedError)) throw error;
          this.verified.delete(scratch);
          return this.validateIn(scratch, request, started);
        }
      },
      signal,
    );
  }

  private async validateIn(
    scratch: string,
    { repo, rig, commit, checks, setup, signal }: Omit<ValidateRequest, 'slot' | 'setup'> & { setup: CheckSetup | null },
    started: number,
  ): Promise<CheckRunResult> {
    const elapsed = () => performance.now() - started;
    if (signal?.aborted) throw abortError(signal);
    const fingerprint = setup ? await setupFingerprint(repo, commit, setup) : null;
    // While the setup is current, what it made (ignored files: node_modules...) stays.
    await this.checkout(repo, scratch, commit, fingerprint !== null && this.setupDone.get(scratch) === fingerprint);
    const sandboxed = await this.sandboxFor(scratch, rig, commit);
    const runs: CheckRun[] = [];
    if (setup && fingerprint !== null) {
      const run = await this.runSetup(scratch, setup, fingerprint, sandboxed, signal);
      if (run) runs.push(run);
      if (run && !run.ok) return { ok: false, failedCheck: 'setup', output: run.output, durationMs: elapsed(), runs };
    }
    for (const check of checks) {
      if (signal?.aborted) throw abortError(signal);
      const { run, aborted } = await runStep({ kind: 'check', ...check }, scratch, sandboxed, signal);
      if (aborted && signal) throw abortError(signal);
      runs.push(run);
      if (!run.ok) return { ok: false, failedCheck: check.name, output: run.output, durationMs: elapsed(), runs };
    }
    return { ok: true, failedCheck: null, output: '', durationMs: elapsed(), runs };
  }

  /** Checks edit their scratch tree and nothing else: never the town's secrets. */
  private sandboxFor(scratch: string, rig: string, commit: string): Promise<SandboxedStart> {
    return (this.options.sandbox ?? townSandbox(path.dirname(this.scratchRoot))).prepare({
      cwd: scratch,
      access: { kind: 'tree' },
      home: `${scratch}.home`,
      // GT_GATE_COMMIT is the variable's first name, kept while checks written for it remain.
      env: { GT_CHECK_COMMIT: commit, GT_GATE_COMMIT: commit, GT_RIG: rig },
    });
  }

  /**
   * Runs the setup in `scratch` (checked out at the commit `fingerprint` was read from)
   * unless it already ran there on the same inputs; null when it did not need to. Only a
   * setup that passed counts as done: a failed one runs again on the next validation.
   */
  private async runSetup(
    scratch: string,
    setup: CheckSetup,
    fingerprint: string,
    sandboxed: SandboxedStart,
    signal?: AbortSignal,
  ): Promise<CheckRun | null> {
    if (this.setupDone.get(scratch) === fingerprint) return null;
    this.setupDone.delete(scratch);
    if (signal?.aborted) throw abortError(signal);
    const { run, aborted } = await runStep({ kind: 'setup', name: 'setup', ...setup }, scratch, sandboxed, signal);
    if (aborted && signal) throw abortError(signal);
    if (run.ok) this.setupDone.set(scratch, fingerprint);
    return run;
  }

  /**
   * Removes the rig's scratch worktrees. Validations in flight on its slots finish first
   * (their slot locks are taken, in a fixed order so two disposals cannot deadlock).
   */
  async dispose(repo: string, rig: string): Promise<void> {
    const rigDir = path.join(this.scratchRoot, rigSegment(rig));
    const prefix = rigDir + path.sep;
    const held = this.slots
      .keys()
      .filter((key) => key.startsWith(prefix))
      .sort();
    const holdAll = (keys: string[]): Promise<void> =>
      keys.length === 0 ? this.removeRigWorktrees(repo, rigDir) : this.slots.run(keys[0], () => holdAll(keys.slice(1)));
    await holdAll(held);
  }

  private async removeRigWorktrees(repo: string, rigDir: string): Promise<void> {
    if (await exists(repo)) {
      const inside = (await canonical(rigDir)) + path.sep;
      const registered = await Promise.all((await registeredWorktrees(repo)).map(canonical));
      for (const worktree of registered.filter((p) => p.startsWith(inside))) {
        await this.git.removeWorktree(repo, worktree);
      }
    }
    // Whatever is left (a half-created slot, a directory git no longer knows) is ours.
    for (const key of [...this.verified]) if (key.startsWith(rigDir + path.sep)) this.verified.delete(key);
    for (const key of [...this.setupDone.keys()]) if (key.startsWith(rigDir + path.sep)) this.setupDone.delete(key);
    await rm(rigDir, { recursive: true, force: true });
    if (await exists(repo)) {
      await withRepoLock(repo, () => retryOnLock(() => runGit(['worktree', 'prune'], { cwd: repo })));
    }
  }

  /**
   * Creates the scratch worktrees of slots 0..slots-1 that do not exist yet (see
   * CheckPort.prepare), and runs the setup in each where it is not current at `commit`.
   * A setup that fails here is only logged by the caller: the next validation runs it again.
   */
  async prepare({ repo, rig, slots, commit, setup }: PrepareRequest): Promise<void> {
    rev(commit);
    for (let slot = 0; slot < slots; slot++) {
      const scratch = this.scratchPath(rig, slot);
      await this.slots.run(scratch, async () => {
        const known = this.verified.has(scratch) && (await exists(path.join(scratch, '.git')));
        if (!known) {
          if (await this.isScratchWorktree(repo, scratch)) this.verified.add(scratch);
          else await this.create(repo, scratch, commit);
        }
        if (!setup) return;
        const fingerprint = await setupFingerprint(repo, commit, setup);
        if (this.setupDone.get(scratch) === fingerprint) return;
        await this.checkout(repo, scratch, commit, false);
        const run = await this.runSetup(scratch, setup, fingerprint, await this.sandboxFor(scratch, rig, commit));
        if (run && !run.ok) throw new Error(run.failure ?? 'setup failed');
      });
    }
  }

  /**
   * Puts the slot's scratch worktree at exactly `commit`, with nothing untracked; ignored
   * files too unless `keepIgnored` (what a current setup installed).
   */
  private async checkout(repo: string, scratch: string, commit: string, keepIgnored: boolean): Promise<void> {
    rev(commit);
    const known = this.verified.has(scratch) && (await exists(path.join(scratch, '.git')));
    if (known || (await this.isScratchWorktree(repo, scratch))) {
      try {
        await runGit(['checkout', '-q', '--detach', '-f', commit], { cwd: scratch });
        await runGit(['clean', keepIgnored ? '-fdq' : '-fdxq'], { cwd: scratch });
        this.verified.add(scratch);
        return;
      } catch (error) {
        this.verified.delete(scratch);
        if (!(error instanceof GitError)) throw error;
        // A check killed in the middle of its own git command leaves index.lock behind;
        // a damaged scratch checkout is cheaper to recreate than to diagnose.
      }
    }
    await this.create(repo, scratch, commit);
  }

  /** (Re)creates the slot's scratch worktree at `commit`. */
  private async create(repo: string, scratch: string, commit: string): Promise<void> {
    await withRepoLock(repo, async () => {
      // A directory git does not know as a worktree (an interrupted add, a crash
      // mid-remove) would make `worktree add` fail; it lives in our scratch area.
      await rm(scratch, { recursive: true, force: true });
      await retryOnLock(() => runGit(['worktree', 'prune'], { cwd: repo }));
      await mkdir(path.dirname(scratch), { recursive: true });
      await retryOnLock(() => runGit(['worktree', 'add', '-q', '--detach', scratch, commit], { cwd: repo }));
    });
    this.verified.add(scratch);
    // A fresh checkout has nothing the setup made.
    this.setupDone.delete(scratch);
  }

  /**
   * True only for a registered worktree of `repo`. A plain directory must never get
   * `checkout -f` and `clean -fdx`: git would walk up to whatever repository encloses it.
   */
  private async isScratchWorktree(repo: string, scratch: string): Promise<boolean> {
    if (!(await exists(path.join(scratch, '.git')))) return false;
    const wanted = await canonical(scratch);
    const registered = await Promise.all((await registeredWorktrees(repo)).map(canonical));
    return registered.includes(wanted);
  }
}
