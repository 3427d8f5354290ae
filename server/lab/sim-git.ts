/**
 * Modelled git: a GitPort with no disk, fast enough for a thousand polecats. A commit
 * records the regions (`file#n`) it changed against its first parent; a three-way merge
 * conflicts exactly where both sides changed one region since their merge base, as
 * `git merge-tree` does for the demo repository's region files. Refs move by
 * compare-and-swap, so the real Refinery (speculative merges, ordered landing, retries
 * when another rig moved a shared target) runs on it unchanged.
 *
 * Target history is linear in first parents (the Refinery only lands merge commits whose
 * first parent is the old tip), so ancestry and merge bases walk first parents by depth.
 * Merges resolve at once: their engine-time cost is modelled in the check run (server/checks/clocked-checks.ts),
 * because the Refinery awaits git inside `settle()`, which must never wait on the clock.
 */
import type { GitPort, MergeTreeResult } from '../engine/ports';

interface Commit {
  id: string;
  repo: string;
  parents: string[];
  /** Regions changed against the first parent. */
  changes: ReadonlySet<string>;
  /** First-parent depth: 0 for a root. */
  depth: number;
  /** Carries a change that breaks the checks (the agent's failure, modelled). */
  broken: boolean;
}

interface Worktree {
  repo: string;
  branch: string;
  head: string;
  /** Regions edited and not yet committed. */
  edits: Set<string>;
  broken: boolean;
}

interface Repo {
  refs: Map<string, string>;
}

export const regionKey = (file: string, region: number): string => `${file}#${region}`;
const fileOf = (key: string): string => key.slice(0, key.lastIndexOf('#'));

export class SimGit implements GitPort {
  private readonly repos = new Map<string, Repo>();
  private readonly commits = new Map<string, Commit>();
  private readonly trees = new Map<string, { changes: ReadonlySet<string>; broken: boolean }>();
  private readonly worktrees = new Map<string, Worktree>();
  private nextId = 1;
  /** Git operations served: the model's cost counter. */
  operations = 0;
  /** Commit count that triggers the next prune (amortised: it doubles with what is kept). */
  private pruneAt = 4_096;

  /** Creates a modelled repository with one root commit on `branch`. */
  initRepository(repo: string, branch = 'main'): string {
    const root = this.newCommit(repo, [], new Set(), false);
    this.repos.set(repo, { refs: new Map([[`refs/heads/${branch}`, root.id]]) });
    return root.id;
  }

  /** Marks regions as edited in a worktree (the modelled agent's writes). */
  edit(worktreePath: string, regions: string[], broken: boolean): void {
    const wt = this.worktree(worktreePath);
    for (const r of regions) wt.edits.add(r);
    wt.broken ||= broken;
  }

  /** Whether a commit carries a change that breaks the checks. */
  isBroken(commit: string): boolean {
    return this.commit(commit).broken;
  }

  // ------------------------------------------------------------------ GitPort

  async resolveRef(repo: string, ref: string): Promise<string> {
    this.operations++;
    const sha = this.repo(repo).refs.get(ref);
    if (!sha) throw new Error(`unknown ref ${ref} in ${repo}`);
    return sha;
  }

  async ensureWorktree(repo: string, path: string, branch: string, startPoint: string): Promise<void> {
    this.operations++;
    if (this.worktrees.has(path)) return; // re-attached: its branch and edits are kept
    this.commit(startPoint);
    this.worktrees.set(path, { repo, branch, head: startPoint, edits: new Set(), broken: false });
  }

  async resetWorktree(path: string, commit: string): Promise<void> {
    this.operations++;
    this.commit(commit);
    Object.assign(this.worktree(path), { head: commit, edits: new Set(), broken: false });
  }

  async removeWorktree(_repo: string, path: string): Promise<void> {
    this.operations++;
    this.worktrees.delete(path);
  }

  async commitAll(path: string): Promise<string | null> {
    this.operations++;
    const wt = this.worktree(path);
    if (wt.edits.size === 0) return null;
    const c = this.newCommit(wt.repo, [wt.head], wt.edits, wt.broken || this.commit(wt.head).broken);
    Object.assign(wt, { head: c.id, edits: new Set(), broken: false });
    return c.id;
  }

  async mergeTree(_repo: string, ours: string, theirs: string): Promise<MergeTreeResult> {
    this.operations++;
    const base = this.mergeBase(ours, theirs);
    const theirChanges = this.changesSince(theirs, base);
    const ourChanges = this.changesSince(ours, base);
    const conflicts = new Set<string>();
    for (const r of theirChanges) if (ourChanges.has(r)) conflicts.add(fileOf(r));
    if (conflicts.size > 0) return { clean: false, conflictFiles: [...conflicts].sort() };
    const tree = `t${this.nextId++}`;
    this.trees.set(tree, { changes: theirChanges, broken: this.commit(ours).broken || this.commit(theirs).broken });
    return { clean: true, tree };
  }

  async commitTree(repo: string, tree: string, parents: string[], _message?: string): Promise<string> {
    this.operations++;
    const t = this.trees.get(tree);
    if (!t) throw new Error(`unknown tree ${tree}`);
    this.trees.delete(tree); // each merge result is committed once
    return this.newCommit(repo, parents, t.changes, t.broken).id;
  }

  async compareAndSwapRef(repo: string, ref: string, newSha: string, oldSha: string): Promise<boolean> {
    this.operations++;
    const r = this.repo(repo);
    if (r.refs.get(ref) !== oldSha) return false;
    this.commit(newSha);
    r.refs.set(ref, newSha);
    return true;
  }

  async isAncestor(_repo: string, ancestor: string, descendant: string): Promise<boolean> {
    this.operations++;
    return this.reaches(descendant, ancestor);
  }

  async changedFiles(_repo: string, base: string, head: string): Promise<string[]> {
    this.operations++;
    return [...new Set([...this.changesSince(head, this.mergeBase(base, head))].map(fileOf))].sort();
  }

  /** The files the model knows: every file a kept commit of the repository changed. */
  async listFiles(repo: string): Promise<string[]> {
    this.operations++;
    const files = new Set<string>();
    for (const c of this.commits.values()) if (c.repo === repo) for (const r of c.changes) files.add(fileOf(r));
    return [...files].sort();
  }

  async clearStaleLocks(): Promise<string[]> {
    return []; // a model has no lock files
  }

  // ------------------------------------------------------------------ history

  /** `changes` is kept as given (never mutated afterwards), not copied: a day of a big town makes many commits. */
  private newCommit(repo: string, parents: string[], changes: ReadonlySet<string>, broken: boolean): Commit {
    const first = parents[0] ? this.commit(parents[0]) : null;
    const c: Commit = { id: `c${this.nextId++}`, repo, parents, changes, depth: first ? first.depth + 1 : 0, broken };
    this.commits.set(c.id, c);
    if (this.commits.size >= this.pruneAt) this.prune();
    return c;
  }

  /**
   * Forgets history no one can reach any more, so a long run's memory stays flat: per
   * repository, commits deeper than every ref and worktree head (the oldest base a
   * polecat may still merge from) are never a merge base again. Speculative commits sit
   * above the target tip, and queued heads are still their polecats' worktree heads.
   */
  private prune(): void {
    const floor = new Map<string, number>();
    const lower = (repo: string, depth: number) => floor.set(repo, Math.min(floor.get(repo) ?? depth, depth));
    for (const [path, r] of this.repos) for (const sha of r.refs.values()) lower(path, this.commit(sha).depth);
    for (const wt of this.worktrees.values()) lower(wt.repo, this.commit(wt.head).depth - 1);
    for (const [id, c] of this.commits) {
      if (c.depth < (floor.get(c.repo) ?? 0) - 1) this.commits.delete(id);
    }
    this.pruneAt = Math.max(4_096, this.commits.size * 2);
  }

  /** Whether `target` is `from` or reachable from it (first parents, plus merged heads). */
  private reaches(from: string, target: string): boolean {
    const goal = this.commit(target);
    let c: Commit | undefined = this.commit(from);
    while (c && c.depth >= goal.depth) {
      if (c.id === target || c.parents.includes(target)) return true;
      c = c.parents[0] ? this.commits.get(c.parents[0]) : undefined;
    }
    return false;
  }

  /** The nearest first-parent ancestor of `theirs` that `ours` reaches. */
  private mergeBase(ours: string, theirs: string): string | null {
    let c: Commit | undefined = this.commit(theirs);
    while (c) {
      if (this.reaches(ours, c.id)) return c.id;
      c = c.parents[0] ? this.commits.get(c.parents[0]) : undefined;
    }
    return null;
  }

  /** Regions changed on the first-parent path from `base` (exclusive) to `head`. */
  private changesSince(head: string, base: string | null): Set<string> {
    const out = new Set<string>();
    let c: Commit | undefined = this.commit(head);
    while (c && c.id !== base) {
      for (const r of c.changes) out.add(r);
      c = c.parents[0] ? this.commits.get(c.parents[0]) : undefined;
    }
    return out;
  }

  private commit(id: string): Commit {
    const c = this.commits.get(id);
    if (!c) throw new Error(`unknown commit ${id}`);
    return c;
  }

  private repo(path: string): Repo {
    const r = this.repos.get(path);
    if (!r) throw new Error(`not a modelled repository: ${path}`);
    return r;
  }

  private worktree(path: string): Worktree {
    const wt = this.worktrees.get(path);
    if (!wt) throw new Error(`no worktree at ${path}`);
    return wt;
  }
}
