/**
 * The replay of one window: N consecutive first-parent changes cut from the same base
 * (the parent of the first), each applied to that base as a cherry-pick would, then
 * landed in order the way the Refinery lands a merge request: `merge-tree` of the target
 * and the change, the merge commit written, the target moved. A change that cannot apply
 * to the base, or whose merge conflicts with what landed before it, is counted and not
 * landed (the Refinery sends it back).
 *
 * git 2.39's merge-tree takes no explicit merge base, so the cherry-pick of change c
 * (parent p) onto base B is the merge of c with a commit holding B's tree whose parent
 * is p: their merge base is p, which makes it the three-way merge base p -> {B, c}.
 * A change whose parent is B (the window's first) applies as it is.
 */
import type { GitPort } from '../../engine/ports';
import type { HistoryChange } from './log';

export type ReplayOutcome = 'landed' | 'conflicted' | 'cannot-apply';

export interface ReplayedChange {
  /** Index into the history. */
  index: number;
  outcome: ReplayOutcome;
  conflictFiles: string[];
}

export interface WindowReplay {
  start: number;
  /** The changes replayed, in order; shorter than asked when an object was missing. */
  changes: ReplayedChange[];
  missing: boolean;
}

export type ReplayGit = Pick<GitPort, 'mergeTree' | 'commitTree'>;

const MESSAGE = 'history replay';

/** What git says when an object a shallow or partial clone lacks is asked for. */
const MISSING = /unable to read|bad object|not a valid|could not read|missing|bad tree|invalid object|does not exist/i;

/** A window can start at a change whose base (its parent) is the change before it in the history read. */
export function canStartAt(history: readonly HistoryChange[], start: number): boolean {
  return start >= 1 && start < history.length && history[start].parent === history[start - 1].commit;
}

export async function replayWindow(
  git: ReplayGit,
  repo: string,
  history: readonly HistoryChange[],
  start: number,
  n: number,
): Promise<WindowReplay> {
  if (!canStartAt(history, start)) return { start, changes: [], missing: true };
  const base = history[start - 1].commit;
  const baseTree = history[start - 1].tree;
  const changes: ReplayedChange[] = [];
  let target = base;
  try {
    for (let index = start; index < start + n && index < history.length; index++) {
      const change = history[index];
      let picked: string;
      if (change.parent === base) picked = change.commit;
      else {
        const onto = await git.commitTree(repo, baseTree, [change.parent!], MESSAGE);
        const pick = await git.mergeTree(repo, onto, change.commit);
        if (!pick.clean) {
          changes.push({ index, outcome: 'cannot-apply', conflictFiles: pick.conflictFiles });
          continue;
        }
        picked = await git.commitTree(repo, pick.tree, [base], MESSAGE);
      }
      if (target === base) {
        // Nothing landed yet: the merge is a fast-forward, as the Refinery's merge-tree would find.
        target = picked;
      } else {
        const merge = await git.mergeTree(repo, target, picked);
        if (!merge.clean) {
          changes.push({ index, outcome: 'conflicted', conflictFiles: merge.conflictFiles });
          continue;
        }
        target = await git.commitTree(repo, merge.tree, [target, picked], MESSAGE);
      }
      changes.push({ index, outcome: 'landed', conflictFiles: [] });
    }
  } catch (error) {
    if (!MISSING.test(String((error as Error)?.message ?? error))) throw error;
    return { start, changes, missing: true };
  }
  return { start, changes, missing: false };
}
