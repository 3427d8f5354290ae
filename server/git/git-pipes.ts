/**
 * The git calls a landing makes, without a process per call: per repository one
 * long-lived `merge-tree --stdin`, one `update-ref --stdin` and one `cat-file
 * --batch-check` (./git-pipe.ts), started on demand, restarted after they die, stopped
 * when idle.
 *
 * Each method answers what the one-process-per-call command of ./cli-git.ts answers for
 * the same input, or returns null when the pipe cannot give that answer: the pipe could
 * not start, the input does not fit the pipe's line framing, or git died on it (a
 * revision it cannot resolve ends `merge-tree --stdin`, where the one-shot command
 * reports an error). The caller then runs the one-shot command, which gives its answer
 * or its error exactly as before. `GT_GIT_PIPES=0` turns the pipes off.
 *
 * Formats, as git 2.39.5 prints them:
 * - `merge-tree --stdin -z --write-tree --name-only --no-messages`, fed `<ours> <theirs>\n`:
 *   `<1 clean | 0 conflicted>\0<tree>\0` then each conflicted path `<name>\0` (once per
 *   conflicted stage), then `\0`. git 2.39 does not flush this output between merges (only
 *   at exit), so the process runs under `stdbuf -o0`; without stdbuf, no merge-tree pipe.
 * - `update-ref --stdin -z`, fed `start\0update <ref>\0<new>\0<old>\0prepare\0commit\0`:
 *   `start: ok\n`, `prepare: ok\n`, `commit: ok\n`; a failed step (the ref moved, or is
 *   locked) prints `fatal: prepare: cannot lock ref ...` on stderr and exits 128.
 * - `cat-file --batch-check=%(objectname)`, fed `<ref>^{commit}\n`: `<id>\n`, or
 *   `<input> missing\n` (or `ambiguous`).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { MergeTreeResult } from '../engine/ports';
import { GitPipe, PipeDiedError, type ReplyLength } from './git-pipe';

export type PipeKind = 'merge-tree' | 'update-ref' | 'cat-file';

const ARGV: Record<PipeKind, string[]> = {
  'merge-tree': ['stdbuf', '-o0', 'git', 'merge-tree', '--stdin', '-z', '--write-tree', '--name-only', '--no-messages'],
  'update-ref': ['git', 'update-ref', '--stdin', '-z'],
  'cat-file': ['git', 'cat-file', '--batch-check=%(objectname)'],
};

const OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * A new merge-tree pipe's first reply must come within this: if stdbuf does not make git
 * flush (a git it cannot preload into), the reply would only come at exit, never.
 */
const FIRST_MERGE_TIMEOUT_MS = 15_000;

/** A merge-tree reply: status, tree, names, then an empty field. */
const mergeReplyLength: ReplyLength = (buffer) => {
  const status = buffer.indexOf(0);
  if (status === -1) return -1;
  const tree = buffer.indexOf(0, status + 1);
  if (tree === -1) return -1;
  // Names are never empty, so the first empty field (two NULs) from the tree's NUL on ends it.
  const end = buffer.indexOf('\0\0', tree);
  return end === -1 ? -1 : end + 2;
};

/** `count` newline-terminated lines. */
const lines =
  (count: number): ReplyLength =>
  (buffer) => {
    let at = -1;
    for (let i = 0; i < count; i++) {
      at = buffer.indexOf(10, at + 1);
      if (at === -1) return -1;
    }
    return at + 1;
  };

export class GitPipes {
  private readonly pipes = new Map<string, GitPipe>();
  /** Kinds that could not start (no stdbuf, say): the one-shot commands for good. */
  private readonly unavailable = new Set<PipeKind>();
  /** merge-tree pipes (by key) that have answered once: stdbuf works for them. */
  private readonly flushing = new Set<string>();

  /** `idleMs`: a pipe without a request for this long is stopped. */
  constructor(private readonly idleMs = 30_000) {}

  /** The pid of a repository's running pipe of `kind`, if one runs (tests kill it). */
  pid(repo: string, kind: PipeKind): number | undefined {
    return this.pipes.get(key(repo, kind))?.pid;
  }

  /** Stops every pipe; later calls start new ones. */
  close(): void {
    for (const pipe of this.pipes.values()) pipe.close();
    this.pipes.clear();
  }

  /** `merge-tree --write-tree <ours> <theirs>`, or null (see the module comment). */
  async mergeTree(repo: string, ours: string, theirs: string): Promise<MergeTreeResult | null> {
    if (/\s/.test(ours) || /\s/.test(theirs)) return null;
    const id = key(repo, 'merge-tree');
    const timeout = this.flushing.has(id) ? undefined : FIRST_MERGE_TIMEOUT_MS;
    const reply = await this.ask(repo, 'merge-tree', `${ours} ${theirs}\n`, mergeReplyLength, timeout);
    if (!reply) return null;
    this.flushing.add(id);
    const [status, tree, ...names] = reply.toString('utf8').split('\0');
    if (!OID.test(tree) || (status !== '0' && status !== '1')) return null;
    if (status === '1') return { clean: true, tree };
    return { clean: false, conflictFiles: [...new Set(names.filter((name) => name.length > 0))] };
  }

  /**
   * One `update-ref` transaction moving `ref` from `oldSha` to `newSha`: true when it
   * committed, null when the pipe cannot carry it. Rejects with PipeDiedError when git
   * ended in the middle (a failed step, or a kill): the caller judges the outcome.
   */
  async compareAndSwap(repo: string, ref: string, newSha: string, oldSha: string): Promise<boolean | null> {
    if ([ref, newSha, oldSha].some((value) => value.includes('\0') || value.includes('\n'))) return null;
    const input = `start\0update ${ref}\0${newSha}\0${oldSha}\0prepare\0commit\0`;
    const reply = await this.ask(repo, 'update-ref', input, lines(3), undefined, true);
    if (!reply) return null;
    if (reply.toString('utf8') !== 'start: ok\nprepare: ok\ncommit: ok\n') {
      throw new PipeDiedError(ARGV['update-ref'], {
        code: null,
        signal: null,
        stderr: `unexpected reply ${JSON.stringify(reply.toString('utf8'))}`,
        spawnFailed: false,
        timedOut: false,
      });
    }
    return true;
  }

  /** The commit `ref` names (`rev-parse --verify <ref>^{commit}`), or null when the pipe cannot say. */
  async resolveCommit(repo: string, ref: string): Promise<string | null> {
    if (ref.includes('\n')) return null;
    const reply = await this.ask(repo, 'cat-file', `${ref}^{commit}\n`, lines(1));
    const id = reply?.toString('utf8').trim();
    // "missing" and "ambiguous" come back as null: the one-shot command gives git's own error.
    return id && OID.test(id) ? id : null;
  }

  /**
   * The reply of the repository's pipe of `kind`, or null when there is none to give: the
   * kind cannot start here, or the process died on the request. With `rethrow`, a death
   * after the start is the caller's to judge.
   */
  private async ask(
    repo: string,
    kind: PipeKind,
    input: string,
    replyLength: ReplyLength,
    timeoutMs?: number,
    rethrow = false,
  ): Promise<Buffer | null> {
    if (this.unavailable.has(kind)) return null;
    const id = key(repo, kind);
    let pipe = this.pipes.get(id);
    if (!pipe) {
      pipe = new GitPipe(ARGV[kind], path.resolve(repo), this.idleMs);
      this.pipes.set(id, pipe);
    }
    try {
      return await pipe.request(input, replyLength, timeoutMs);
    } catch (error) {
      if (!(error instanceof PipeDiedError)) throw error;
      if (error.spawnFailed) {
        // A repository directory that is gone fails the spawn too (ENOENT): not the program's fault.
        if (await isDirectory(repo)) this.disable(kind, error);
        return null;
      }
      if (error.timedOut && timeoutMs !== undefined && !this.flushing.has(id)) {
        this.disable(kind, error);
        return null;
      }
      if (rethrow) throw error;
      return null;
    }
  }

  /** The same program for every repository: one that cannot start (or flush) here cannot anywhere. */
  private disable(kind: PipeKind, error: PipeDiedError): void {
    if (!this.unavailable.has(kind)) {
      console.warn(`[git] ${kind} pipe unavailable, one process per call instead: ${error.message}`);
    }
    this.unavailable.add(kind);
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function key(repo: string, kind: PipeKind): string {
  return `${kind}\0${path.resolve(repo)}`;
}

let shared: GitPipes | null | undefined;

/** The server's pipes, shared by every CliGit; null with `GT_GIT_PIPES=0` (read at first use). */
export function gitPipes(): GitPipes | null {
  if (shared === undefined) shared = process.env.GT_GIT_PIPES === '0' ? null : new GitPipes();
  return shared;
}
