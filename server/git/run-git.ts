/**
 * The one place that runs git. Every call is an argument array (never a shell string), so
 * bead titles, branch names and paths that reach git can never be interpreted by a shell.
 * The process is started by the spawner (server/spawner), not forked from the server, so
 * the fork's cost stays off the server's event loop.
 */
import { processRunner } from '../spawner/spawner';

export interface RunGitOptions {
  cwd: string;
  /** Extra environment, layered over the defaults below (e.g. a commit author). */
  env?: Record<string, string>;
  /**
   * Exit codes the caller handles itself (0 is always allowed). Plumbing such as
   * `merge-base --is-ancestor` and `merge-tree` answers questions with exit code 1.
   */
  allowExitCodes?: number[];
  /**
   * Kill git, and everything it started (ssh, a remote helper), after this many ms; the
   * call then rejects with an error whose `timedOut` is true. Absent: no limit.
   */
  timeoutMs?: number;
  /** Written to git's stdin (`update-ref --stdin`); without it stdin is /dev/null. */
  stdin?: string;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** A git invocation that exited with a code the caller did not expect. */
export class GitError extends Error {
  readonly args: string[];
  readonly code: number;
  readonly stderr: string;

  constructor(args: string[], code: number, stderr: string) {
    const detail = stderr.trim().split('\n').slice(-3).join(' | ');
    super(`git ${args.join(' ')} exited with ${code}${detail ? `: ${detail}` : ''}`);
    this.name = 'GitError';
    this.args = args;
    this.code = code;
    this.stderr = stderr;
  }
}

/**
 * The author and committer every git command run here uses unless the caller overrides
 * the author (it overrides any identity in process.env); commits written in-process
 * (server/git/loose-object.ts) use it too, so they match what git would write.
 */
export const GIT_IDENTITY: Readonly<{ name: string; email: string }> = Object.freeze({
  name: 'Gas Town',
  email: 'gastown@localhost',
});

/**
 * Defaults that make git behave the same on every machine:
 * - GIT_TERMINAL_PROMPT=0: a credential prompt would hang a headless server forever.
 * - LC_ALL=C: we parse git's messages (e.g. "but expected"); they must not be translated.
 * - a fixed identity (GIT_IDENTITY): commit, commit-tree and merges must work on a fresh
 *   machine (or CI container) with no user.name/user.email configured. Callers override
 *   the author.
 */
const BASE_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
  GIT_AUTHOR_NAME: GIT_IDENTITY.name,
  GIT_AUTHOR_EMAIL: GIT_IDENTITY.email,
  GIT_COMMITTER_NAME: GIT_IDENTITY.name,
  GIT_COMMITTER_EMAIL: GIT_IDENTITY.email,
};

/** The environment every git command of the server runs with: ours over the server's, `extra` over both. */
export function gitEnvironment(extra?: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ...BASE_ENV, ...extra };
}

/** Diffs and fsck output of a big repository can be large; don't truncate them. */
const MAX_BUFFER = 256 * 1024 * 1024;

/** What execFile reports for output past maxBuffer: not an exit code, an error. */
function overflowError(args: string[]): Error {
  const error = new Error(`git ${args.join(' ')}: stdout or stderr exceeded ${MAX_BUFFER} bytes`);
  (error as NodeJS.ErrnoException).code = 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
  return error;
}

let gitProcesses = 0;

/** Git processes the server started so far: one per runGit call, one per start of a pipe (./git-pipe.ts). */
export function gitProcessesStarted(): number {
  return gitProcesses;
}

/** Counts a git process started outside runGit (a pipe). */
export function noteGitProcess(): void {
  gitProcesses++;
}

/** Runs `git <args>` in `opts.cwd`; rejects with GitError on an unexpected exit code. */
export async function runGit(args: string[], opts: RunGitOptions): Promise<GitResult> {
  gitProcesses++;
  const result = await processRunner().run({
    argv: ['git', ...args],
    cwd: opts.cwd,
    env: gitEnvironment(opts.env),
    output: { mode: 'full', limit: MAX_BUFFER },
    stdin: opts.stdin,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs, killGroup: true } : {}),
  });
  if (result.spawnError) {
    // Spawn failure (git missing, cwd gone, a NUL in an argument): not an exit code.
    const error = new Error(result.spawnError.message);
    (error as NodeJS.ErrnoException).code = result.spawnError.code;
    throw error;
  }
  if (result.overflow) throw overflowError(args);
  if (result.code === null) {
    const error = new Error(`git ${args.join(' ')} was killed by ${result.signal ?? 'a signal'}`);
    Object.assign(error, { signal: result.signal, stderr: result.stderr, timedOut: result.timedOut });
    throw error;
  }
  const { code, stdout, stderr } = result;
  if (code !== 0 && !(opts.allowExitCodes ?? []).includes(code)) throw new GitError(args, code, stderr);
  return { stdout, stderr, code };
}
