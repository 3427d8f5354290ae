/**
 * The long-lived git pipes (server/git/git-pipes.ts) against real repositories: the same
 * answers as one process per call, a process started per pipe rather than per call, and
 * compare-and-swap semantics kept when a pipe's git is killed -9 in the middle.
 */
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CliGit, fsck, initRepository } from '@/server/git/cli-git';
import { GitPipe } from '@/server/git/git-pipe';
import { GitPipes } from '@/server/git/git-pipes';
import { GitError, gitProcessesStarted, runGit } from '@/server/git/run-git';

const MAIN = 'refs/heads/main';

let dir: string;
let repo: string;
let initial: string;
let pipes: GitPipes;
let piped: CliGit;
const oneShot = new CliGit({ pipes: null });

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gastown-pipes-'));
  repo = path.join(dir, 'repo');
  initial = await initRepository(repo, { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'b\n', 'd/x.txt': 'x\n' });
  pipes = new GitPipes();
  piped = new CliGit({ pipes });
});

afterEach(async () => {
  pipes.close();
  const check = await fsck(repo);
  await rm(dir, { recursive: true, force: true });
  expect(check.ok, check.output).toBe(true);
});

/** A commit on top of `parent` with `files` written (null deletes), made with plumbing. */
async function commitOn(parent: string, files: Record<string, string | null>, message: string): Promise<string> {
  const index = path.join(dir, `index-${message.replace(/\W/g, '')}`);
  const env = { GIT_INDEX_FILE: index };
  await runGit(['read-tree', parent], { cwd: repo, env });
  for (const [name, content] of Object.entries(files)) {
    if (content === null) {
      await runGit(['rm', '-q', '--cached', name], { cwd: repo, env });
      continue;
    }
    const blob = (await runGit(['hash-object', '-w', '--stdin'], { cwd: repo, stdin: content })).stdout.trim();
    await runGit(['update-index', '--add', '--cacheinfo', `100644,${blob},${name}`], { cwd: repo, env });
  }
  const tree = (await runGit(['write-tree'], { cwd: repo, env })).stdout.trim();
  return (await runGit(['commit-tree', tree, '-p', parent, '-m', message], { cwd: repo })).stdout.trim();
}

async function refValue(ref: string): Promise<string> {
  return (await runGit(['rev-parse', ref], { cwd: repo })).stdout.trim();
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

describe('merge-tree through the pipe', () => {
  it('gives the same result as one process per call for clean and conflicted merges', async () => {
    const ours = await commitOn(initial, { 'a.txt': 'ONE\ntwo\nthree\n', 'b.txt': 'ours\n' }, 'ours');
    const sides = {
      clean: await commitOn(initial, { 'a.txt': 'one\ntwo\nTHREE\n', 'new.txt': 'n\n' }, 'clean'),
      content: await commitOn(initial, { 'a.txt': 'uno\ntwo\nthree\n' }, 'content'),
      twoFiles: await commitOn(initial, { 'a.txt': 'eins\ntwo\nthree\n', 'b.txt': 'theirs\n' }, 'twofiles'),
      modifyDelete: await commitOn(initial, { 'b.txt': null }, 'modifydelete'),
      addAdd: await commitOn(initial, { 'c.txt': 'theirs\n' }, 'addadd'),
      fileDirectory: await commitOn(initial, { 'd/x.txt': null, d: 'a file now\n' }, 'filedir'),
      odd: await commitOn(initial, { 'a.txt': 'ein\ntwo\nthree\n', 'sp ace/ü\tab.txt': 'odd\n' }, 'odd'),
    };
    const oursAdd = await commitOn(ours, { 'c.txt': 'ours\n', 'sp ace/ü\tab.txt': 'also\n' }, 'oursadd');

    const pairs: [string, string][] = [];
    for (const side of Object.values(sides)) pairs.push([ours, side], [oursAdd, side], [side, ours]);
    pairs.push([initial, ours], [ours, ours]);
    const conflicted: string[][] = [];
    for (const [a, b] of pairs) {
      const viaPipe = await piped.mergeTree(repo, a, b);
      expect(viaPipe).toEqual(await oneShot.mergeTree(repo, a, b));
      if (!viaPipe.clean) conflicted.push(viaPipe.conflictFiles);
    }
    // The comparison covered real conflicts, with several files and odd names among them.
    expect(conflicted.length).toBeGreaterThanOrEqual(10);
    expect(conflicted).toContainEqual(['a.txt', 'b.txt']);
    expect(conflicted.flat()).toContain('sp ace/ü\tab.txt');
    expect(pipes.pid(repo, 'merge-tree')).toBeDefined();
  });

  it('reports a revision git cannot resolve as the same error, and merges again after', async () => {
    const side = await commitOn(initial, { 'b.txt': 'changed\n' }, 'side');
    const first = await piped.mergeTree(repo, initial, side);
    const viaPipe = await piped.mergeTree(repo, initial, 'no-such-branch').catch((e: unknown) => e);
    const direct = await oneShot.mergeTree(repo, initial, 'no-such-branch').catch((e: unknown) => e);
    expect(viaPipe).toBeInstanceOf(GitError);
    expect((viaPipe as GitError).message).toBe((direct as GitError).message);
    expect(await piped.mergeTree(repo, initial, side)).toEqual(first);
  });
});

describe('pipe lifetime', () => {
  it('stops an idle pipe and starts it again on the next call', async () => {
    const quick = new GitPipes(200);
    const git = new CliGit({ pipes: quick });
    try {
      expect(await git.resolveRef(repo, MAIN)).toBe(initial);
      const first = quick.pid(repo, 'cat-file');
      expect(first).toBeDefined();
      await expect.poll(() => quick.pid(repo, 'cat-file'), { timeout: 5_000 }).toBeUndefined();
      // The process itself is gone, not only forgotten.
      const alive = () => {
        try {
          process.kill(first!, 0);
          return true;
        } catch {
          return false;
        }
      };
      await expect.poll(alive, { timeout: 5_000 }).toBe(false);
      const before = gitProcessesStarted();
      expect(await git.resolveRef(repo, MAIN)).toBe(initial);
      expect(gitProcessesStarted() - before).toBe(1);
      expect(quick.pid(repo, 'cat-file')).not.toBe(first);
    } finally {
      quick.close();
    }
  });
});

describe('a pipe that cannot start', () => {
  it('merges through one process per call, with the same results, when stdbuf is not there', async () => {
    // A PATH with git but without stdbuf: the merge-tree pipe cannot start, the others can.
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    await symlink((await runGit(['--exec-path'], { cwd: repo })).stdout.trim() + '/git', path.join(bin, 'git'));
    const side = await commitOn(initial, { 'b.txt': 'changed\n' }, 'side');
    const conflicting = await commitOn(initial, { 'b.txt': 'other\n' }, 'conflicting');
    const savedPath = process.env.PATH;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const isolated = new GitPipes();
    const git = new CliGit({ pipes: isolated });
    try {
      process.env.PATH = bin;
      expect(await git.mergeTree(repo, side, conflicting)).toEqual({ clean: false, conflictFiles: ['b.txt'] });
      expect(await git.mergeTree(repo, initial, side)).toEqual(await oneShot.mergeTree(repo, initial, side));
      expect(isolated.pid(repo, 'merge-tree')).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/merge-tree pipe unavailable/);
      // The update-ref pipe still runs there.
      expect(await git.compareAndSwapRef(repo, MAIN, side, initial)).toBe(true);
      expect(isolated.pid(repo, 'update-ref')).toBeDefined();
    } finally {
      process.env.PATH = savedPath;
      warn.mockRestore();
      isolated.close();
    }
  });
});

describe('refs through the pipes', () => {
  it('starts one process per pipe, not one per landing', async () => {
    const heads: string[] = [];
    for (let i = 0; i <= 20; i++) heads.push(await commitOn(initial, { [`f${i}.txt`]: `${i}\n` }, `f${i}`));
    const land = async (i: number) => {
      const tip = await piped.resolveRef(repo, MAIN);
      const head = heads[i];
      const merged = await piped.mergeTree(repo, tip, head);
      if (!merged.clean) throw new Error('expected a clean merge');
      const commit = await piped.commitTree(repo, merged.tree, [tip, head], `Merge ${i}`);
      return piped.compareAndSwapRef(repo, MAIN, commit, tip);
    };
    expect(await land(0)).toBe(true);
    const before = gitProcessesStarted();
    for (let i = 1; i <= 20; i++) expect(await land(i)).toBe(true);
    expect(gitProcessesStarted() - before).toBe(0);
    const { stdout } = await runGit(['rev-list', '--first-parent', '--count', `${initial}..${MAIN}`], { cwd: repo });
    expect(Number(stdout)).toBe(21);
  });

  it('reads a ref another process moved, and fails a lost race as one process per call does', async () => {
    const next = await commitOn(initial, { 'b.txt': 'next\n' }, 'next');
    expect(await piped.resolveRef(repo, MAIN)).toBe(initial);
    await runGit(['update-ref', MAIN, next], { cwd: repo });
    expect(await piped.resolveRef(repo, MAIN)).toBe(next);
    const other = await commitOn(next, { 'b.txt': 'other\n' }, 'other');
    // Stale expectation: the ref is at `next`, not `initial`.
    expect(await piped.compareAndSwapRef(repo, MAIN, other, initial)).toBe(false);
    expect(await refValue(MAIN)).toBe(next);
    expect(await piped.compareAndSwapRef(repo, MAIN, other, next)).toBe(true);
    expect(await refValue(MAIN)).toBe(other);
    await expect(piped.resolveRef(repo, 'no-such-ref')).rejects.toThrow(GitError);
  });

  it('fails a CAS while a killed transaction left its lock, and lands once reconcile cleared it', async () => {
    const next = await commitOn(initial, { 'b.txt': 'next\n' }, 'next');
    // A transaction stopped by kill -9 between prepare and commit: the ref's lock is held.
    const victim = new GitPipe(['git', 'update-ref', '--stdin', '-z'], repo, 60_000);
    const prepared = await victim.request(`start\0update ${MAIN}\0${next}\0${initial}\0prepare\0`, (buffer) =>
      buffer.toString().split('\n').length > 2 ? buffer.length : -1,
    );
    expect(prepared.toString()).toBe('start: ok\nprepare: ok\n');
    process.kill(victim.pid!, 'SIGKILL');
    const lock = path.join(repo, '.git', 'refs', 'heads', 'main.lock');
    await expect.poll(() => victim.pid).toBeUndefined();
    expect(await exists(lock)).toBe(true);
    expect(await refValue(MAIN)).toBe(initial);

    expect(await piped.compareAndSwapRef(repo, MAIN, next, initial)).toBe(false);
    expect(await refValue(MAIN)).toBe(initial);
    expect(await piped.clearStaleLocks(repo)).toContain(path.join('refs', 'heads', 'main.lock'));
    expect(await piped.compareAndSwapRef(repo, MAIN, next, initial)).toBe(true);
    expect(await refValue(MAIN)).toBe(next);
  });

  it('leaves the ref old or new when its git is killed -9 mid-transaction, says which, and restarts the pipe', async () => {
    let tip = initial;
    const lock = path.join(repo, '.git', 'refs', 'heads', 'main.lock');
    const outcomes = { landed: 0, notLanded: 0 };
    const killed: number[] = [];
    for (let i = 0; i < 12; i++) {
      const next = await commitOn(tip, { 'b.txt': `round ${i}\n` }, `round${i}`);
      // A warm pipe, so the kill falls on the transaction, not on the start.
      expect(await piped.resolveRef(repo, MAIN)).toBe(tip);
      if (!pipes.pid(repo, 'update-ref')) expect(await piped.compareAndSwapRef(repo, MAIN, tip, tip)).toBe(true);
      const pid = pipes.pid(repo, 'update-ref')!;
      killed.push(pid);
      const swap = piped.compareAndSwapRef(repo, MAIN, next, tip);
      // Kill at a different point of the transaction each round (before, during, after it).
      await new Promise((resolve) => setTimeout(resolve, i % 4));
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: the transaction's process ended before the kill.
      }
      const landed = await swap;
      const now = await refValue(MAIN);
      expect([tip, next]).toContain(now);
      expect(landed).toBe(now === next);
      if (landed) {
        outcomes.landed++;
        tip = next;
        continue;
      }
      outcomes.notLanded++;
      // Not landed: at most a stale lock stands in the way, and clearing it lets the next try land.
      if (await exists(lock)) await piped.clearStaleLocks(repo);
      expect(await piped.compareAndSwapRef(repo, MAIN, next, tip)).toBe(true);
      tip = next;
    }
    expect(outcomes.landed + outcomes.notLanded).toBe(12);
    expect(await refValue(MAIN)).toBe(tip);
    // The next call restarts the pipe: a fresh process carries it.
    const after = await commitOn(tip, { 'b.txt': 'after\n' }, 'after');
    expect(await piped.compareAndSwapRef(repo, MAIN, after, tip)).toBe(true);
    expect(pipes.pid(repo, 'update-ref')).toBeDefined();
    expect(killed).not.toContain(pipes.pid(repo, 'update-ref'));
  });
});
