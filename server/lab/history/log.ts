/**
 * A rig's history as the replay reads it: the first-parent changes of its target branch,
 * oldest first, each with its tree, its first parent and the paths it changed against
 * that parent (a merge's changes against its first parent, as a Refinery landing made
 * them). One `git log` for the whole history.
 */
import { rev } from '../../git/cli-git';
import { runGit } from '../../git/run-git';

export interface HistoryChange {
  commit: string;
  tree: string;
  /** The first parent; null for a root commit or a shallow clone's boundary. */
  parent: string | null;
  files: string[];
}

/** Changes read at most (the newest): a window needs only consecutive changes, not all of them. */
export const HISTORY_READ_LIMIT = 20_000;

export async function readFirstParentHistory(repo: string, branch: string, limit = HISTORY_READ_LIMIT): Promise<HistoryChange[]> {
  const args = [
    'log',
    '--first-parent',
    '--diff-merges=first-parent',
    '--no-renames',
    `-n${limit}`,
    '--format=%x01%H %T %P',
    '--name-only',
    '-z',
    rev(branch),
    '--',
  ];
  const { stdout } = await runGit(args, { cwd: repo });
  const changes: HistoryChange[] = [];
  for (const record of stdout.split('\x01')) {
    if (record.length === 0) continue;
    const [header, ...names] = record.split('\0');
    const [commit, tree, parent] = header.split(' ');
    const files = names.map((n) => n.replace(/^\n/, '')).filter((n) => n.length > 0);
    changes.push({ commit, tree, parent: parent || null, files });
  }
  return changes.reverse();
}

export async function isShallow(repo: string): Promise<boolean> {
  const { stdout } = await runGit(['rev-parse', '--is-shallow-repository'], { cwd: repo });
  return stdout.trim() === 'true';
}
