/**
 * UpstreamPort on the git command line: a rig's bare clone of the operator's repository,
 * fetched from and landed on by compare-and-swap pushes.
 *
 * Every call checks its URL and branch against contracts/git-url.ts before git runs, and
 * git itself runs with GIT_ALLOW_PROTOCOL (only the five transports; `ext::` and other
 * remote helpers refused even if a check were missed), `protocol.ext.allow=never`, no
 * terminal prompts, and a timeout that kills git's whole process group (ssh, remote
 * helpers). The process group is also its own session (setsid), so ssh has no terminal
 * to ask for a passphrase or a host key on: it fails instead of hanging.
 *
 * Credentials are never stored: the clone's config holds the URL without its password.
 * A password the operator gave reaches git only through the environment of each call, as
 * `url.<secret>.insteadOf=<stored>` (GIT_CONFIG_* variables, readable by the server's user
 * alone, never on a command line that `ps` shows to everyone).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { GIT_TRANSPORTS, branchNameProblem, checkGitUrl, redactCredentials, withoutPassword } from '../../contracts/git-url';
import { UpstreamError } from '../engine/errors';
import { exists } from './cli-git';
import type { CloneOptions, ClonedUpstream, PushResult, UpstreamAccess, UpstreamPort } from '../engine/ports';
import { killProcessGroup } from '../spawner/run-process.mjs';
import { ProgressReader, classifyGitFailure, gitReason, parsePushPorcelain } from './upstream-messages';
import { gitEnvironment, runGit, type GitResult } from './run-git';

const OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const DEFAULT_TIMEOUT_MS = 120_000;
/** `-c` options before every upstream command: belt and braces with GIT_ALLOW_PROTOCOL. */
const SAFE_CONFIG = ['-c', 'protocol.ext.allow=never', '-c', 'protocol.fd.allow=never'];
/**
 * Where fetched upstream branches go. A bare clone maps the upstream's refs/heads onto its
 * own refs/heads by default; we keep them under refs/remotes/origin instead, so a fetch can
 * never move the local landing ref (the Refinery's compare-and-swap target) or a polecat's
 * branch, and an upstream branch that happens to be named like a polecat's never collides.
 */
const FETCH_REFSPEC = '+refs/heads/*:refs/remotes/origin/*';

/** The environment of a call that talks to the upstream. */
function upstreamEnv(secretUrl?: string): Record<string, string> {
  const env: Record<string, string> = {
    GIT_ALLOW_PROTOCOL: GIT_TRANSPORTS.join(':'),
    GIT_TERMINAL_PROMPT: '0',
    SSH_ASKPASS_REQUIRE: 'never',
  };
  const stored = secretUrl === undefined ? undefined : withoutPassword(secretUrl);
  if (stored !== undefined && stored !== secretUrl) {
    // Appended after any GIT_CONFIG_* entries the server's own environment carries.
    const n = Number(process.env.GIT_CONFIG_COUNT) || 0;
    Object.assign(env, {
      GIT_CONFIG_COUNT: String(n + 1),
      [`GIT_CONFIG_KEY_${n}`]: `url.${secretUrl}.insteadOf`,
      [`GIT_CONFIG_VALUE_${n}`]: stored,
    });
  }
  return env;
}

function checkBranch(branch: string): void {
  const problem = branchNameProblem(branch);
  if (problem) throw new UpstreamError('refused', problem);
}

function checkOid(value: string, what: string): void {
  if (!OID.test(value)) throw new UpstreamError('refused', `${what} must be a full commit id`);
}

/** The typed error for a git command that failed talking to the upstream. */
function failure(result: { stderr: string; code: number | null }, what: string): UpstreamError {
  const reason = gitReason(result.stderr, `${what} failed (git exit ${result.code})`);
  return new UpstreamError(classifyGitFailure(result.stderr), `${what}: ${reason}`);
}

/** Runs git against the upstream; a timeout becomes UpstreamError('timeout'). */
async function runUpstream(args: string[], repo: string, what: string, access: UpstreamAccess = {}): Promise<GitResult> {
  const timeoutMs = access.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (access.secretUrl !== undefined) {
    const checked = checkGitUrl(access.secretUrl);
    if (!checked.ok) throw new UpstreamError('refused', checked.reason);
  }
  try {
    return await runGit([...SAFE_CONFIG, ...args], {
      cwd: repo,
      env: upstreamEnv(access.secretUrl),
      allowExitCodes: [1, 128],
      timeoutMs,
    });
  } catch (error) {
    if ((error as { timedOut?: boolean }).timedOut)
      throw new UpstreamError('timeout', `${what}: no answer in ${timeoutMs / 1000} s`);
    throw error;
  }
}

/**
 * Runs `git clone`, streaming its progress. Not through the spawner (server/spawner):
 * its results arrive only when the process ends, and a clone's progress must reach the
 * page while it runs. A clone is rare, so forking it from the server costs nothing.
 */
function runClone(
  args: string[],
  options: CloneOptions,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stopped: 'timeout' | 'abort' | null }> {
  return new Promise((resolve) => {
    if (options.signal?.aborted) return resolve({ code: null, stderr: '', stopped: 'abort' });
    const reader = new ProgressReader(options.onProgress ?? (() => undefined));
    const child = spawn('git', args, {
      env: gitEnvironment(env) as NodeJS.ProcessEnv,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stopped: 'timeout' | 'abort' | null = null;
    const stop = (why: 'timeout' | 'abort') => {
      stopped ??= why;
      killProcessGroup(child.pid);
    };
    const onAbort = () => stop('abort');
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => reader.push(chunk));
    const finish = (code: number | null, spawnError?: string) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reader.end();
      resolve({ code, stderr: spawnError ?? reader.lines.join('\n'), stopped });
    };
    child.on('error', (error) => finish(null, error.message));
    child.on('close', (code) => {
      killProcessGroup(child.pid); // nothing git started (ssh) outlives the clone
      finish(code);
    });
  });
}

/** Refs under `prefix` with their commits. */
async function listRefs(repo: string, prefix: string): Promise<{ ref: string; sha: string }[]> {
  const { stdout } = await runGit(['for-each-ref', '--format=%(objectname) %(refname)', prefix], { cwd: repo });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ sha: line.slice(0, line.indexOf(' ')), ref: line.slice(line.indexOf(' ') + 1) }));
}

/**
 * Moves what the clone put in refs/heads to refs/remotes/origin (see FETCH_REFSPEC) in one
 * ref transaction, keeping only the target branch local; returns the target's tip.
 */
async function arrangeRefs(repo: string, target: string): Promise<string> {
  const heads = await listRefs(repo, 'refs/heads/');
  if (heads.length === 0) throw new UpstreamError('empty', 'clone: the repository is empty (no commits to work on)');
  const tip = heads.find((h) => h.ref === `refs/heads/${target}`)?.sha;
  if (!tip)
    throw new UpstreamError(
      'no_such_branch',
      `the upstream's HEAD names branch ${target}, which does not exist; choose a branch`,
    );
  const commands = heads.flatMap(({ ref, sha }) => {
    const remote = `create refs/remotes/origin/${ref.slice('refs/heads/'.length)} ${sha}`;
    return ref === `refs/heads/${target}` ? [remote] : [remote, `delete ${ref} ${sha}`];
  });
  await runGit(['update-ref', '--stdin'], { cwd: repo, stdin: commands.join('\n') + '\n' });
  await runGit(['config', '--replace-all', 'remote.origin.fetch', FETCH_REFSPEC], { cwd: repo });
  await runGit(['symbolic-ref', 'HEAD', `refs/heads/${target}`], { cwd: repo });
  return tip;
}

/** Removes staging directories a clone cut short left in `parent` (their names start with `prefix`). */
async function removeStaging(parent: string, prefix: string): Promise<void> {
  for (const name of await readdir(parent)) {
    if (name.startsWith(prefix)) await rm(path.join(parent, name), { recursive: true, force: true });
  }
}

export class CliUpstream implements UpstreamPort {
  async cloneBare(url: string, dir: string, options: CloneOptions): Promise<ClonedUpstream> {
    const checked = checkGitUrl(url);
    if (!checked.ok) throw new UpstreamError('refused', checked.reason);
    if (options.branch !== undefined) checkBranch(options.branch);
    const target = path.resolve(dir);
    const parent = path.dirname(target);
    await mkdir(parent, { recursive: true });
    if (await exists(target)) throw new UpstreamError('exists', `${target} already exists`);
    // Cloned beside the target and renamed into place once complete: a clone cut short (the
    // server killed mid-clone) leaves only its staging directory, never a `dir` that looks
    // like a clone and blocks the next claim (docs/cluster.md). The staging directory is made
    // by an exclusive mkdir under a random name, so the clean-up after a failure only ever
    // removes what this call created (and, unlike mkdtemp's 0700, it has the umask's mode: a
    // sandboxed agent running as another user reads the clone through its worktree).
    const prefix = `.${path.basename(target)}.cloning-`;
    await removeStaging(parent, prefix); // an earlier run's, cut short: one clone of a name runs at a time here
    const staging = path.join(parent, `${prefix}${randomBytes(6).toString('hex')}`);
    await mkdir(staging);

    const stored = withoutPassword(url);
    const branchArgs = options.branch === undefined ? [] : ['--branch', options.branch];
    const args = [...SAFE_CONFIG, 'clone', '--bare', '--progress', ...branchArgs, '--', stored, staging];
    try {
      const result = await runClone(args, options, upstreamEnv(url));
      if (result.stopped === 'timeout') throw new UpstreamError('timeout', `clone: no result in ${options.timeoutMs / 1000} s`);
      if (result.stopped === 'abort') throw new UpstreamError('timeout', 'clone: cancelled');
      if (result.code !== 0) throw failure(result, 'clone');
      const { stdout } = await runGit(['symbolic-ref', '--short', 'HEAD'], { cwd: staging });
      const targetBranch = options.branch ?? stdout.trim();
      const tip = await arrangeRefs(staging, targetBranch);
      await rename(staging, target).catch((error: NodeJS.ErrnoException) => {
        // Someone made `dir` meanwhile (an empty directory is replaced, as it holds no clone).
        if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST' || error.code === 'ENOTDIR')
          throw new UpstreamError('exists', `${target} already exists`);
        throw error;
      });
      return { url: stored, targetBranch, tip };
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      if (error instanceof UpstreamError) throw error;
      throw new UpstreamError('failed', `clone: ${redactCredentials(error instanceof Error ? error.message : String(error))}`);
    }
  }

  async fetchUpstream(repo: string, branch: string, access?: UpstreamAccess): Promise<string> {
    checkBranch(branch);
    const args = ['fetch', '--no-tags', '--quiet', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`];
    const result = await runUpstream(args, repo, 'fetch', access);
    if (result.code !== 0) throw failure(result, 'fetch');
    const { stdout } = await runGit(['rev-parse', '--verify', `refs/remotes/origin/${branch}^{commit}`], { cwd: repo });
    return stdout.trim();
  }

  async pushLanding(
    repo: string,
    commit: string,
    branch: string,
    expectedTip: string,
    access?: UpstreamAccess,
  ): Promise<PushResult> {
    checkBranch(branch);
    checkOid(commit, 'the landed commit');
    checkOid(expectedTip, 'the expected upstream tip');
    // The lease alone would let a commit that does not contain the upstream's tip replace it.
    const descends = await runGit(['merge-base', '--is-ancestor', expectedTip, commit], { cwd: repo, allowExitCodes: [1, 128] });
    if (descends.code === 128) throw new UpstreamError('refused', `push: ${gitReason(descends.stderr, 'unknown commit')}`);
    if (descends.code !== 0) {
      throw new UpstreamError(
        'refused',
        `push: ${commit.slice(0, 12)} does not contain the upstream tip ${expectedTip.slice(0, 12)}`,
      );
    }
    const ref = `refs/heads/${branch}`;
    // The lease is a real compare-and-swap: receive-pack updates the ref only if it still
    // holds `expectedTip`, under the ref's lock on the upstream's side.
    return this.push(repo, ref, [`--force-with-lease=${ref}:${expectedTip}`, 'origin', `${commit}:${ref}`], access);
  }

  async pushBranch(repo: string, branch: string, access?: UpstreamAccess): Promise<PushResult> {
    checkBranch(branch);
    const ref = `refs/heads/${branch}`;
    // A lease without a value expects the upstream ref where refs/remotes/origin/<branch>
    // says this clone last saw it (or absent): a rework replaces our own earlier push, and
    // a commit a reviewer added upstream in the meantime is never overwritten.
    // No `+` on the refspec: a forcing refspec would skip the lease.
    return this.push(repo, ref, [`--force-with-lease=${ref}`, 'origin', `${ref}:${ref}`], access);
  }

  private async push(repo: string, ref: string, args: string[], access?: UpstreamAccess): Promise<PushResult> {
    const result = await runUpstream(['push', '--porcelain', '--atomic', ...args], repo, 'push', access);
    const line = parsePushPorcelain(result.stdout).find((r) => r.to === ref);
    if (line && line.flag !== '!') return { status: 'pushed' }; // '=': it was already there
    if (line && /stale info|fetch first|non-fast-forward/.test(line.summary)) return { status: 'rejected_stale' };
    if (line) throw new UpstreamError('rejected', `push: the upstream refused ${ref}: ${redactCredentials(line.summary)}`);
    throw failure(result, 'push');
  }
}
