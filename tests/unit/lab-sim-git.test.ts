import { describe, expect, it } from 'vitest';
import { SimGit, regionKey } from '../../server/lab/sim-git';

const REPO = '/sim/repo';
const REF = 'refs/heads/main';

/** A polecat's change: a worktree on the tip, edits, a commit. */
async function change(git: SimGit, name: string, regions: string[], broken = false): Promise<string> {
  const tip = await git.resolveRef(REPO, REF);
  const path = `/wt/${name}`;
  await git.ensureWorktree(REPO, path, `polecat/${name}`, tip);
  await git.resetWorktree(path, tip);
  git.edit(path, regions, broken);
  return (await git.commitAll(path))!;
}

/** What the Refinery does: merge onto the tip, commit, compare-and-swap. */
async function land(git: SimGit, head: string): Promise<boolean> {
  const tip = await git.resolveRef(REPO, REF);
  const merged = await git.mergeTree(REPO, tip, head);
  if (!merged.clean) return false;
  const commit = await git.commitTree(REPO, merged.tree, [tip, head], 'merge');
  return git.compareAndSwapRef(REPO, REF, commit, tip);
}

describe('modelled git', () => {
  it('conflicts when two branches change the same region, naming the file', async () => {
    const git = new SimGit();
    git.initRepository(REPO);
    const a = await change(git, 'a', [regionKey('core/registry.ts', 0)]);
    const b = await change(git, 'b', [regionKey('core/registry.ts', 0), regionKey('ui/index.ts', 2)]);
    expect(await land(git, a)).toBe(true);
    const tip = await git.resolveRef(REPO, REF);
    expect(await git.mergeTree(REPO, tip, b)).toEqual({ clean: false, conflictFiles: ['core/registry.ts'] });
  });

  it('merges cleanly when the regions differ, even in the same file', async () => {
    const git = new SimGit();
    git.initRepository(REPO);
    const a = await change(git, 'a', [regionKey('core/registry.ts', 0)]);
    const b = await change(git, 'b', [regionKey('core/registry.ts', 1)]);
    expect(await land(git, a)).toBe(true);
    expect(await land(git, b)).toBe(true);
    const tip = await git.resolveRef(REPO, REF);
    expect(await git.isAncestor(REPO, a, tip)).toBe(true);
  });

  it('refuses a compare-and-swap when the ref has moved', async () => {
    const git = new SimGit();
    const root = git.initRepository(REPO);
    const a = await change(git, 'a', [regionKey('x.ts', 0)]);
    expect(await land(git, a)).toBe(true);
    expect(await git.compareAndSwapRef(REPO, REF, a, root)).toBe(false);
  });

  it('carries a broken change into every merge built on it', async () => {
    const git = new SimGit();
    git.initRepository(REPO);
    const a = await change(git, 'a', [regionKey('x.ts', 0)], true);
    const tip = await git.resolveRef(REPO, REF);
    const merged = await git.mergeTree(REPO, tip, a);
    if (!merged.clean) throw new Error('expected a clean merge');
    const spec = await git.commitTree(REPO, merged.tree, [tip, a], 'merge');
    expect(git.isBroken(spec)).toBe(true);
    expect(git.isBroken(tip)).toBe(false);
  });

  it('returns null from commitAll when nothing was edited', async () => {
    const git = new SimGit();
    const root = git.initRepository(REPO);
    await git.ensureWorktree(REPO, '/wt/idle', 'polecat/idle', root);
    expect(await git.commitAll('/wt/idle')).toBeNull();
  });
});
