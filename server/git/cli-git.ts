/**
 * GitPort on the real `git` command line (2.39+). The Refinery merges with plumbing
 * only: `merge-tree --write-tree` computes the merge without a checkout, the merge
 * commit is written in-process (./loose-object.ts: the object `commit-tree` would write,
 * without its process; `git commit-tree` itself where that module cannot), and
 * `update-ref <ref> <new> <old>` lands it as a compare-and-swap, so several Refinery
 * workers (or processes) can race safely and the target branch never needs to be
 * checked out anywhere.
 *
 * merge-tree, update-ref and ref reads go through long-lived git processes per repository
 * (./git-pipes.ts) where they can, so a landing starts no process; the one-process-per-call
 * commands below answer whenever a pipe cannot, with the same results.
 */
import { mkdir, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import type { GitPort, MergeTreeResult } from '../engine/ports';
import { KeyedSerialQueue } from '../engine/serial-queue';
import { configNeedsCli, configWantsFsync, UnsupportedObjectError, writeCommitObject } from './loose-object';
import { PipeDiedError } from './git-pipe';
import { gitPipes, type GitPipes } from './git-pipes';
import { GIT_IDENTITY, GitError, runGit } from './run-git';

const OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * Refuses revisions and refs that git would parse as options (`--upload-pack=...`).
 * Argument arrays stop shell injection; this stops option injection.
 */
export function rev(value: string): string {
  if (value.length === 0 || value.startsWith('-')) {
    throw new Error(`Refusing git revision ${JSON.stringify(value)}: empty or starts with "-"`);
  }
  return value;
}

/** Splits NUL-separated output (`-z`), which is immune to git's quoting of odd file names. */
function splitNul(text: string): string[] {
  return text.split('\0').filter((part) => part.length > 0);
}

// --- Per-repository mutex ----------------------------------------------------------
// `git worktree add/remove/prune` take locks under .git/worktrees and on the config
// file; two concurrent adds in one repository fail with "could not lock". Polecats are
// spawned in bursts, so we queue worktree administration per repository in-process.
const repoQueues = new KeyedSerialQueue();

export function withRepoLock<T>(repo: string, task: () => Promise<T>): Promise<T> {
  return repoQueues.run(path.resolve(repo), task);
}

/** Another git process (an editor, a hook, a second server) may briefly hold a lock. */
export async function retryOnLock<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (!(error instanceof GitError) || !/lock/i.test(error.stderr)) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
    return task();
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Canonical form of a path for comparison with what git prints (symlinked tmp dirs). */
export async function canonical(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return path.resolve(p);
  }
}

export async function registeredWorktrees(repo: string): Promise<string[]> {
  const { stdout } = await runGit(['worktree', 'list', '--porcelain', '-z'], { cwd: repo });
  return splitNul(stdout)
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
}

/** The repository's common git dir (the one holding objects/ and refs/), absolute. */
async function commonGitDir(repo: string): Promise<string> {
  const { stdout } = await runGit(['rev-parse', '--git-common-dir'], { cwd: repo });
  return path.resolve(repo, stdout.trim());
}

/** Configuration that decides whether commits can be written in-process, and how. */
const WRITER_CONFIG =
  '^(extensions\\.(objectformat|compatobjectformat)|i18n\\.commitencoding|core\\.(sharedrepository|fsync|fsyncobjectfiles))$';

/** Where commitTree writes a repository's commits: into its objects in-process, or through the CLI. */
type CommitWriter = { gitDir: string; fsync: boolean } | { cli: string };

async function lookUpCommitWriter(repo: string): Promise<CommitWriter> {
  const [gitDir, config] = await Promise.all([
    commonGitDir(repo),
    runGit(['config', '-z', '--get-regexp', WRITER_CONFIG], { cwd: repo, allowExitCodes: [1] }),
  ]);
  // -z: each entry is `key\nvalue\0`, or `key\0` for a key without a value (true).
  const values = new Map<string, string>();
  for (const entry of splitNul(config.stdout)) {
    const newline = entry.indexOf('\n');
    if (newline === -1) values.set(entry, 'true');
    else values.set(entry.slice(0, newline), entry.slice(newline + 1));
  }
  const reason = configNeedsCli(values);
  return reason ? { cli: reason } : { gitDir, fsync: configWantsFsync(values) };
}

/**
 * Environment the git CLI would honour when it writes a commit, and the in-process writer
 * does not: a date other than now, or an object directory other than the repository's.
 */
function environmentNeedsCli(): boolean {
  return ['GIT_AUTHOR_DATE', 'GIT_COMMITTER_DATE', 'GIT_OBJECT_DIRECTORY'].some((name) => !!process.env[name]);
}

/** What a failed `update-ref <ref> <new> <old>` said: a lost race (false), or an error. */
function casFailure(args: string[], code: number, stderr: string): false {
  if (/but expected|cannot lock ref/.test(stderr)) return false;
  throw new GitError(args, code, stderr);
}

export interface CliGitOptions {
  /** The long-lived processes to use; null for one process per call. Default: the server's (gitPipes()). */
  pipes?: GitPipes | null;
}

export class CliGit implements GitPort {
  private readonly pipes: GitPipes | null;

  constructor(options: CliGitOptions = {}) {
    this.pipes = options.pipes === undefined ? gitPipes() : options.pipes;
  }

  /**
   * Per repository (by absolute path), how commitTree writes: looked up once, so a
   * change of the repository's object format or commit encoding while the server runs
   * is not seen (neither happens to a repository in use).
   */
  private readonly commitWriters = new Map<string, Promise<CommitWriter>>();

  async clearStaleLocks(repo: string): Promise<string[]> {
    const gitDir = await commonGitDir(repo);
    const removed: string[] = [];
    // Lock files are `<name>.lock` next to what they lock: the index, HEAD, config,
    // packed-refs, every ref, and the same inside each worktree's admin directory.
    const walk = async (dir: string, depth: number): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'objects' && depth < 8) await walk(full, depth + 1);
        } else if (entry.name.endsWith('.lock')) {
          await rm(full, { force: true });
          removed.push(path.relative(gitDir, full));
        }
      }
    };
    await walk(gitDir, 0);
    return removed;
  }

  async resolveRef(repo: string, ref: string): Promise<string> {
    const piped = await this.pipes?.resolveCommit(repo, rev(ref));
    if (piped) return piped;
    const { stdout } = await runGit(['rev-parse', '--verify', `${rev(ref)}^{commit}`], { cwd: repo });
    return stdout.trim();
  }

  /**
   * Idempotent: a worktree that already exists is kept exactly as it is, uncommitted
   * work included, so a restarted polecat resumes instead of starting over. Otherwise
   * stale registrations are pruned and the worktree is (re)created with `-B`, which
   * resets `branch` to `startPoint`.
   */
  async ensureWorktree(repo: string, worktreePath: string, branch: string, startPoint: string): Promise<void> {
    await withRepoLock(repo, async () => {
      const wanted = await canonical(worktreePath);
      if (await exists(worktreePath)) {
        const registered = await Promise.all((await registeredWorktrees(repo)).map(canonical));
        if (registered.includes(wanted)) return;
      }
      await retryOnLock(() => runGit(['worktree', 'prune'], { cwd: repo }));
      await mkdir(path.dirname(worktreePath), { recursive: true });
      // An absolute path can never be mistaken for an option.
      const target = path.resolve(worktreePath);
      await retryOnLock(() => runGit(['worktree', 'add', '-q', '-B', rev(branch), target, rev(startPoint)], { cwd: repo }));
    });
  }

  async resetWorktree(worktreePath: string, commit: string): Promise<void> {
    await runGit(['reset', '-q', '--hard', rev(commit)], { cwd: worktreePath });
    await runGit(['clean', '-fdq'], { cwd: worktreePath });
  }

  /** Tolerates a worktree that is already gone: removal is part of cleanup after crashes. */
  async removeWorktree(repo: string, worktreePath: string): Promise<void> {
    const target = path.resolve(worktreePath);
    await withRepoLock(repo, async () => {
      if (await exists(target)) {
        await retryOnLock(async () => {
          const args = ['worktree', 'remove', '--force', target];
          const result = await runGit(args, { cwd: repo, allowExitCodes: [128] });
          // A directory git no longer knows as a worktree is left alone, not an error.
          if (result.code !== 0 && !/is not a working tree/.test(result.stderr)) {
            throw new GitError(args, result.code, result.stderr);
          }
        });
      }
      await retryOnLock(() => runGit(['worktree', 'prune'], { cwd: repo }));
    });
  }

  async commitAll(worktreePath: string, message: string, author: { name: string; email: string }): Promise<string | null> {
    await runGit(['add', '-A'], { cwd: worktreePath });
    const staged = await runGit(['diff', '--cached', '--quiet'], { cwd: worktreePath, allowExitCodes: [1] });
    if (staged.code === 0) return null;
    await runGit(['commit', '-q', '-m', message], {
      cwd: worktreePath,
      env: { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email },
    });
    const { stdout } = await runGit(['rev-parse', 'HEAD'], { cwd: worktreePath });
    return stdout.trim();
  }

  /**
   * Exit 0: clean, the first field is the merged tree. Exit 1: conflicted, the fields
   * after the tree are the conflicted paths (one per conflicted stage, hence the dedupe).
   * git 2.39 also exits 1, with empty output, for a revision it cannot resolve, so a
   * result without a tree id is an error, not a conflict.
   */
  async mergeTree(repo: string, ours: string, theirs: string): Promise<MergeTreeResult> {
    const piped = await this.pipes?.mergeTree(repo, rev(ours), rev(theirs));
    if (piped) return piped;
    const args = ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', rev(ours), rev(theirs)];
    const result = await runGit(args, { cwd: repo, allowExitCodes: [1] });
    // With -z the tree id ends with NUL and each name is NUL-terminated; an empty
    // field (double NUL) would start the informational messages we suppressed.
    const [tree, ...rest] = result.stdout.split('\0');
    if (!OID.test(tree)) throw new GitError(args, result.code, result.stderr || result.stdout);
    if (result.code === 0) return { clean: true, tree };
    const end = rest.indexOf('');
    const names = end === -1 ? rest : rest.slice(0, end);
    return { clean: false, conflictFiles: [...new Set(names)] };
  }

  /**
   * Writes the commit object in-process, exactly as `git commit-tree <tree> -p <parent>...
   * -m <message>` would (same identity, the current date and local time zone), without
   * spawning it; through `git commit-tree` itself when the repository or the commit is
   * one the in-process writer cannot reproduce exactly (not SHA-1, revision names rather
   * than ids, text git would re-encode: see ./loose-object.ts).
   *
   * Unlike commit-tree, the in-process writer does not check that `tree` and `parents`
   * exist: the Refinery's come from a merge-tree of those parents that has just read them.
   */
  async commitTree(repo: string, tree: string, parents: string[], message: string): Promise<string> {
    const writer = environmentNeedsCli() ? null : await this.commitWriter(repo);
    if (writer && 'gitDir' in writer) {
      try {
        const commit = { tree, parents, message, author: GIT_IDENTITY, committer: GIT_IDENTITY };
        return await writeCommitObject(writer.gitDir, commit, { fsync: writer.fsync });
      } catch (error) {
        if (!(error instanceof UnsupportedObjectError)) {
          // The repository may have moved or gone: look it up again next time.
          this.commitWriters.delete(path.resolve(repo));
          throw error;
        }
      }
    }
    const args = ['commit-tree', rev(tree), ...parents.flatMap((p) => ['-p', rev(p)]), '-m', message];
    const { stdout } = await runGit(args, { cwd: repo });
    return stdout.trim();
  }

  private commitWriter(repo: string): Promise<CommitWriter> {
    const key = path.resolve(repo);
    let writer = this.commitWriters.get(key);
    if (!writer) {
      const lookup = lookUpCommitWriter(key);
      writer = lookup;
      this.commitWriters.set(key, lookup);
      // A failed look-up (not a repository yet) is not remembered.
      lookup.catch(() => {
        if (this.commitWriters.get(key) === lookup) this.commitWriters.delete(key);
      });
    }
    return writer;
  }

  /**
   * `update-ref <ref> <new> <old>` verifies the old value under the ref's lock. A ref
   * that moved (or is locked by a concurrent lander) is an ordinary lost race: false.
   *
   * Through the update-ref pipe: a transaction git refused is judged as the one-shot
   * command's refusal. One whose process was killed in the middle left the ref old or new
   * (git's lock file makes the move atomic): new is a landing (true); otherwise the
   * one-shot command tries it, and fails as a lost race if the kill left the lock behind
   * (reconcile's clearStaleLocks and the Refinery's stall backoff handle that, as before).
   */
  async compareAndSwapRef(repo: string, ref: string, newSha: string, oldSha: string): Promise<boolean> {
    const args = ['update-ref', rev(ref), rev(newSha), rev(oldSha)];
    try {
      if (await this.pipes?.compareAndSwap(repo, ref, newSha, oldSha)) return true;
    } catch (error) {
      if (!(error instanceof PipeDiedError)) throw error;
      if (error.code !== null && error.code !== 0) return casFailure(args, error.code, error.stderr);
      const now = await runGit(['rev-parse', '--verify', '-q', ref], { cwd: repo, allowExitCodes: [1] });
      if (OID.test(newSha) && now.stdout.trim() === newSha) return true;
    }
    const result = await runGit(args, { cwd: repo, allowExitCodes: [128] });
    return result.code === 0 || casFailure(args, result.code, result.stderr);
  }

  async changedFiles(repo: string, base: string, head: string): Promise<string[]> {
    const { stdout } = await runGit(['diff', '--name-only', '--no-renames', '-z', `${rev(base)}...${rev(head)}`], { cwd: repo });
    return splitNul(stdout);
  }

  async listFiles(repo: string, commit: string): Promise<string[]> {
    const { stdout } = await runGit(['ls-tree', '-r', '-z', '--name-only', rev(commit)], { cwd: repo });
    return splitNul(stdout);
  }

  async isAncestor(repo: string, ancestor: string, descendant: string): Promise<boolean> {
    const result = await runGit(['merge-base', '--is-ancestor', rev(ancestor), rev(descendant)], {
      cwd: repo,
      allowExitCodes: [1],
    });
    return result.code === 0;
  }
}

/**
 * The object id of each of `paths` at `commit` (blob or tree; absent paths are left out),
 * as `path -> id`. Paths are literal (no pathspec magic, no globs), after `--`.
 */
export async function pathObjects(repo: string, commit: string, paths: string[]): Promise<Map<string, string>> {
  rev(commit);
  if (paths.length === 0) return new Map();
  const { stdout } = await runGit(['--literal-pathspecs', 'ls-tree', '--full-tree', '-z', commit, '--', ...paths], { cwd: repo });
  const objects = new Map<string, string>();
  for (const entry of splitNul(stdout)) {
    // <mode> SP <type> SP <object> TAB <path>
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    objects.set(entry.slice(tab + 1), entry.slice(0, tab).split(' ')[2]);
  }
  return objects;
}

/** Paths that differ between two commits (both sides of a rename are listed). */
export async function changedFiles(repo: string, base: string, head: string): Promise<string[]> {
  const { stdout } = await runGit(['diff', '--name-only', '--no-renames', '-z', rev(base), rev(head)], {
    cwd: repo,
  });
  return splitNul(stdout);
}

/**
 * Creates a repository at `repoPath` holding `files` in one "Initial commit" on
 * `branch`, and returns that commit. The primary worktree is left detached: the
 * Refinery moves `branch` with update-ref and never checks it out, and a checked-out
 * branch would go stale in that worktree (and block `worktree add` of the branch).
 */
export async function initRepository(repoPath: string, files: Record<string, string>, branch = 'main'): Promise<string> {
  if (await exists(path.join(repoPath, '.git'))) {
    throw new Error(`Refusing to initialise ${repoPath}: it already holds a repository`);
  }
  await mkdir(repoPath, { recursive: true });
  await runGit(['init', '-q', '-b', rev(branch)], { cwd: repoPath });
  for (const [relative, content] of Object.entries(files)) {
    const target = path.resolve(repoPath, relative);
    if (!target.startsWith(path.resolve(repoPath) + path.sep)) {
      throw new Error(`Refusing to write ${relative}: outside the repository`);
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  await runGit(['add', '-A'], { cwd: repoPath });
  await runGit(['commit', '-q', '--allow-empty', '-m', 'Initial commit'], { cwd: repoPath });
  await runGit(['checkout', '-q', '--detach'], { cwd: repoPath });
  const { stdout } = await runGit(['rev-parse', 'HEAD'], { cwd: repoPath });
  return stdout.trim();
}

/** Object-store integrity check; `output` holds git's findings (dangling objects are fine). */
export async function fsck(repo: string): Promise<{ ok: boolean; output: string }> {
  try {
    const result = await runGit(['fsck', '--no-progress'], { cwd: repo });
    return { ok: true, output: (result.stdout + result.stderr).trim() };
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    return { ok: false, output: error.stderr.trim() || error.message };
  }
}
