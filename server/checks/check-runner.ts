/**
 * CheckPort on real processes: the Refinery's validation checks (tests, lint, a build...)
 * run against a merge result in a scratch worktree, one per Refinery worker slot, at
 * `<scratchRoot>/<rig>/slot-<n>`. Scratch worktrees are detached (no branch to go stale)
 * and reused: the next validation force-checks-out its commit and cleans everything
 * untracked, ignored files included, so a check never sees a previous run's leftovers.
 *
 * Checks are started with argument arrays, never a shell, each in its own process group
 * so a timeout or an abort kills the check together with whatever it started. Like git,
 * they are started by the spawner (server/spawner), off the server's event loop.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CheckPort, CheckRunResult, CheckSpec } from '../engine/ports';
import { KeyedSerialQueue } from '../engine/serial-queue';
import { CliGit, canonical, exists, registeredWorktrees, retryOnLock, rev, withRepoLock } from '../git/cli-git';
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

/** The outcome of one check: `failure` is the line that says why, null when it passed. */
interface CheckOutcome {
  failure: string | null;
  output: string;
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

function describeSpawnError(check: CheckSpec, error: { code?: string; message: string }): string {
  const program = check.command[0];
  if (error.code === 'ENOENT') return `check '${check.name}' could not start: program not found: ${program}`;
  if (error.code === 'EACCES') return `check '${check.name}' could not start: permission denied: ${program}`;
  return `check '${check.name}' could not start: ${error.message}`;
}

/**
 * Runs one check to completion. A spawn error is a failed check; only a spawner that dies
 * mid-run rejects (SpawnerDiedError: the outcome is unknown, the validation is retried).
 */
function runCheck(check: CheckSpec, cwd: string, sandboxed: SandboxedStart, signal?: AbortSignal): Promise<CheckOutcome> {
  const tail = new TailBuffer(CHECK_OUTPUT_LIMIT);
  const finish = (failure: string | null, aborted = false): CheckOutcome => {
    if (failure) tail.pushLine(failure);
    return { failure, output: failure ? tail.text() : '', aborted };
  };

  if (!Array.isArray(check.command) || check.command.length === 0 || !check.command[0]) {
    return Promise.resolve(finish(`check '${check.name}' has no command`));
  }
  if (!(check.timeoutMs > 0)) {
    return Promise.resolve(finish(`check '${check.name}' has an invalid timeout: ${check.timeoutMs}`));
  }
  if (signal?.aborted) return Promise.resolve(finish(null, true));

  const result: Promise<ProcessResult> = processRunner().run(
    {
      argv: sandboxed.wrap(check.command),
      cwd,
      env: sandboxed.env,
      uid: sandboxed.uid,
      gid: sandboxed.gid,
      timeoutMs: check.timeoutMs,
      killGroup: true,
      output: { mode: 'tail', limit: CHECK_OUTPUT_LIMIT },
      pipeGraceMs: PIPE_GRACE_MS,
    },
    signal,
  );
  return result.then((r) => {
    tail.skipped(r.dropped ?? 0);
    if (r.output && r.output.length > 0) tail.push(Buffer.from(r.output.buffer, r.output.byteOffset, r.output.length));
    if (r.spawnError) return finish(describeSpawnError(check, r.spawnError), r.aborted);
    if (r.aborted) return finish(null, true);
    if (r.timedOut) return finish(`check '${check.name}' timed out after ${check.timeoutMs} ms`);
    if (r.code === 0) return finish(null);
    if (r.code !== null) return finish(`check '${check.name}' exited with code ${r.code}`);
    return finish(`check '${check.name}' was killed by ${r.signal ?? 'a signal'}`);
  });
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

  constructor(private readonly options: CheckRunnerOptions) {
    this.scratchRoot = path.resolve(options.scratchRoot);
  }

  /** Where a slot's scratch worktree lives. */
  scratchPath(rig: string, slot: number): string {
    if (!Number.isSafeInteger(slot) || slot < 0) throw new Error(`Refusing scratch slot ${slot}`);
    return path.join(this.scratchRoot, rigSegment(rig), `slot-${slot}`);
  }

  async validate({ repo, rig, slot, commit, checks, signal }: ValidateRequest): Promise<CheckRunResult> {
    if (checks.length === 0) return { ok: true, failedCheck: null, output: '', durationMs: 0 };
    const scratch = this.scratchPath(rig, slot);
    // One checkout per slot: a second validation of the same slot waits its turn.
    return this.slots.run(
      scratch,
      async () => {
        const started = performance.now();
        try {
          return await this.validateIn(scratch, { repo, rig, commit, checks, signal }, started);
        } catch (error) {
          // The spawner died under this validation: its outcome is unknown, and a validation
          // has no effect outside its scratch worktree, so it is simply run once more.
          if (!(error instanceof SpawnerDiedError)) throw error;
          this.verified.delete(scratch);
          return this.validateIn(scratch, { repo, rig, commit, checks, signal }, started);
        }
      },
      signal,
    );
  }

  private async validateIn(
    scratch: string,
    { repo, rig, commit, checks, signal }: Omit<ValidateRequest, 'slot'>,
    started: number,
  ): Promise<CheckRunResult> {
    const elapsed = () => performance.now() - started;
    if (signal?.aborted) throw abortError(signal);
    await this.checkout(repo, scratch, commit);
    // Checks edit their scratch tree and nothing else: never the town's secrets.
    const sandboxed = await (this.options.sandbox ?? townSandbox(path.dirname(this.scratchRoot))).prepare({
      cwd: scratch,
      access: { kind: 'tree' },
      home: `${scratch}.home`,
      // GT_GATE_COMMIT is the variable's first name, kept while checks written for it remain.
      env: { GT_CHECK_COMMIT: commit, GT_GATE_COMMIT: commit, GT_RIG: rig },
    });
    for (const check of checks) {
      if (signal?.aborted) throw abortError(signal);
      const outcome = await runCheck(check, scratch, sandboxed, signal);
      if (outcome.aborted && signal) throw abortError(signal);
      if (outcome.failure) return { ok: false, failedCheck: check.name, output: outcome.output, durationMs: elapsed() };
    }
    return { ok: true, failedCheck: null, output: '', durationMs: elapsed() };
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
    await rm(rigDir, { recursive: true, force: true });
    if (await exists(repo)) {
      await withRepoLock(repo, () => retryOnLock(() => runGit(['worktree', 'prune'], { cwd: repo })));
    }
  }

  /** Creates the scratch worktrees of slots 0..slots-1 that do not exist yet (see CheckPort.prepare). */
  async prepare({ repo, rig, slots, commit }: PrepareRequest): Promise<void> {
    rev(commit);
    for (let slot = 0; slot < slots; slot++) {
      const scratch = this.scratchPath(rig, slot);
      await this.slots.run(scratch, async () => {
        if (this.verified.has(scratch) && (await exists(path.join(scratch, '.git')))) return;
        if (await this.isScratchWorktree(repo, scratch)) this.verified.add(scratch);
        else await this.create(repo, scratch, commit);
      });
    }
  }

  /** Puts the slot's scratch worktree at exactly `commit`, with nothing untracked. */
  private async checkout(repo: string, scratch: string, commit: string): Promise<void> {
    rev(commit);
    const known = this.verified.has(scratch) && (await exists(path.join(scratch, '.git')));
    if (known || (await this.isScratchWorktree(repo, scratch))) {
      try {
        await runGit(['checkout', '-q', '--detach', '-f', commit], { cwd: scratch });
        await runGit(['clean', '-fdxq'], { cwd: scratch });
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
