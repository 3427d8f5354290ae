/**
 * CliGit against real repositories in fresh temp dirs: the Refinery's plumbing merge
 * (merge-tree + the merge commit + update-ref CAS) and polecat worktree lifecycle.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliGit, changedFiles, fsck, initRepository } from '@/server/git/cli-git';
import { demoRepositoryFiles } from '@/server/git/demo-repo';
import { readRegion, replaceRegion } from '@/server/git/region-file';
import { GitError, runGit } from '@/server/git/run-git';

const git = new CliGit();
const MAIN = 'refs/heads/main';
const FILE = 'core/registry.ts';
const author = { name: 'polecat', email: 'polecat@localhost' };

let dir: string;
let repo: string;
let a: string;
let b: string;
let initial: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gastown-git-'));
  repo = path.join(dir, 'repo');
  a = path.join(dir, 'polecats', 'a');
  b = path.join(dir, 'polecats', 'b');
  initial = await initRepository(repo, demoRepositoryFiles());
  await git.ensureWorktree(repo, a, 'polecat/a', initial);
  await git.ensureWorktree(repo, b, 'polecat/b', initial);
});

afterEach(async () => {
  const check = await fsck(repo);
  await rm(dir, { recursive: true, force: true });
  expect(check.ok, check.output).toBe(true);
});

/** A polecat's edit: rewrites one region of FILE in its worktree and commits. */
async function editRegion(worktree: string, region: number, tag: string): Promise<string> {
  const file = path.join(worktree, FILE);
  const lines = [`export const edited_${tag} = 1;`, `export const also_${tag} = 2;`];
  await writeFile(file, replaceRegion(await readFile(file, 'utf8'), region, lines));
  const head = await git.commitAll(worktree, `edit region ${region} (${tag})`, author);
  if (!head) throw new Error('expected a commit');
  return head;
}

/** What a Refinery worker does for one merge request. */
async function land(head: string): Promise<{ landed: boolean; conflictFiles: string[] }> {
  const target = await git.resolveRef(repo, MAIN);
  const merge = await git.mergeTree(repo, target, head);
  if (!merge.clean) return { landed: false, conflictFiles: merge.conflictFiles };
  const commit = await git.commitTree(repo, merge.tree, [target, head], `Merge ${head.slice(0, 8)}`);
  return { landed: await git.compareAndSwapRef(repo, MAIN, commit, target), conflictFiles: [] };
}

async function showOnMain(file: string): Promise<string> {
  return (await runGit(['show', `${MAIN}:${file}`], { cwd: repo })).stdout;
}

describe('CliGit', () => {
  it('leaves the target branch detached from any checkout when it initialises a repository', async () => {
    expect(await git.resolveRef(repo, MAIN)).toBe(initial);
    const head = await runGit(['symbolic-ref', '-q', 'HEAD'], { cwd: repo, allowExitCodes: [1] });
    expect(head.code).toBe(1);
  });

  it('merges both polecats and advances the target when they edit adjacent regions of one file', async () => {
    const headA = await editRegion(a, 2, 'a');
    const headB = await editRegion(b, 3, 'b');

    expect(await land(headA)).toEqual({ landed: true, conflictFiles: [] });
    expect(await land(headB)).toEqual({ landed: true, conflictFiles: [] });

    const merged = await showOnMain(FILE);
    expect(readRegion(merged, 2)).toEqual(['export const edited_a = 1;', 'export const also_a = 2;']);
    expect(readRegion(merged, 3)).toEqual(['export const edited_b = 1;', 'export const also_b = 2;']);
    const main = await git.resolveRef(repo, MAIN);
    expect(await git.isAncestor(repo, headA, main)).toBe(true);
    expect(await git.isAncestor(repo, headB, main)).toBe(true);
    expect(await changedFiles(repo, initial, main)).toEqual([FILE]);
  });

  it('reports the conflicted file and keeps the target when two polecats edit the same region', async () => {
    const headA = await editRegion(a, 5, 'a');
    const headB = await editRegion(b, 5, 'b');
    expect((await land(headA)).landed).toBe(true);
    const before = await git.resolveRef(repo, MAIN);

    expect(await land(headB)).toEqual({ landed: false, conflictFiles: [FILE] });
    expect(await git.resolveRef(repo, MAIN)).toBe(before);
  });

  it('refuses the swap and leaves the ref unchanged when the ref moved since it was read', async () => {
    const headA = await editRegion(a, 1, 'a');
    const headB = await editRegion(b, 7, 'b');
    const staleTarget = await git.resolveRef(repo, MAIN);
    const merge = await git.mergeTree(repo, staleTarget, headB);
    if (!merge.clean) throw new Error('expected a clean merge');
    const commitB = await git.commitTree(repo, merge.tree, [staleTarget, headB], 'Merge b');

    expect((await land(headA)).landed).toBe(true); // another worker lands first
    const moved = await git.resolveRef(repo, MAIN);

    expect(await git.compareAndSwapRef(repo, MAIN, commitB, staleTarget)).toBe(false);
    expect(await git.resolveRef(repo, MAIN)).toBe(moved);
  });

  it('keeps uncommitted work when ensureWorktree is called again for an existing worktree', async () => {
    const file = path.join(a, FILE);
    await writeFile(file, 'work in progress\n');
    const later = await editRegion(b, 0, 'b');

    await git.ensureWorktree(repo, a, 'polecat/a', later);

    expect(await readFile(file, 'utf8')).toBe('work in progress\n');
    expect(await git.resolveRef(repo, 'refs/heads/polecat/a')).toBe(initial);
  });

  it('recreates the worktree on a reset branch when its directory was removed', async () => {
    await editRegion(a, 4, 'a');
    await git.removeWorktree(repo, a);
    await expect(stat(a)).rejects.toThrow();
    await git.removeWorktree(repo, a); // already gone: tolerated

    await git.ensureWorktree(repo, a, 'polecat/a', initial);
    expect(await git.resolveRef(repo, 'refs/heads/polecat/a')).toBe(initial);
    expect(await git.commitAll(a, 'nothing', author)).toBeNull();
  });

  it('returns null from commitAll when nothing changed', async () => {
    expect(await git.commitAll(a, 'empty', author)).toBeNull();
    expect(await git.resolveRef(repo, 'refs/heads/polecat/a')).toBe(initial);
  });

  it('records the polecat as author when commitAll commits', async () => {
    const head = await editRegion(a, 0, 'a');
    const { stdout } = await runGit(['log', '-1', '--format=%an <%ae>|%cn', head], { cwd: repo });
    expect(stdout.trim()).toBe('polecat <polecat@localhost>|Gas Town');
  });

  it('moves the branch and drops untracked files when a worktree is reset', async () => {
    await editRegion(a, 6, 'a');
    await writeFile(path.join(a, 'scratch.txt'), 'junk');
    await git.resetWorktree(a, initial);
    expect(await git.resolveRef(repo, 'refs/heads/polecat/a')).toBe(initial);
    await expect(stat(path.join(a, 'scratch.txt'))).rejects.toThrow();
  });

  it('answers isAncestor in both directions', async () => {
    const head = await editRegion(a, 2, 'a');
    expect(await git.isAncestor(repo, initial, head)).toBe(true);
    expect(await git.isAncestor(repo, head, initial)).toBe(false);
  });

  it('throws a GitError rather than reporting a conflict when a revision does not exist', async () => {
    await expect(git.mergeTree(repo, MAIN, 'refs/heads/no-such-branch')).rejects.toBeInstanceOf(GitError);
    await expect(git.resolveRef(repo, 'refs/heads/no-such-branch')).rejects.toBeInstanceOf(GitError);
  });

  it('refuses revisions that git would read as options', async () => {
    await expect(git.resolveRef(repo, '--output=/tmp/x')).rejects.toThrow(/starts with "-"/);
  });

  it('creates every worktree when many polecats start at once', async () => {
    const paths = Array.from({ length: 8 }, (_, i) => path.join(dir, 'polecats', `p${i}`));
    await Promise.all(paths.map((p, i) => git.ensureWorktree(repo, p, `polecat/p${i}`, initial)));
    for (const p of paths) expect(await git.commitAll(p, 'nothing', author)).toBeNull();
    await Promise.all(paths.map((p) => git.removeWorktree(repo, p)));
  });
});
