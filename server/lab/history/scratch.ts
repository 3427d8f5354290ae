/**
 * Where a replay writes: a bare repository in a temporary directory that borrows the
 * rig's objects (objects/info/alternates), so the cherry-picks and merge commits of
 * thousands of replayed landings never land in the operator's repository. Removed after.
 * It has no promisor remote: an object a partial clone lacks is missing, not fetched.
 */
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../../git/run-git';

export interface ScratchRepo {
  path: string;
  remove(): Promise<void>;
}

/** Memory-backed when the machine has one: a replay writes thousands of small objects, read back at once. */
function scratchParent(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

export async function openScratch(repo: string): Promise<ScratchRepo> {
  const { stdout } = await runGit(['rev-parse', '--git-common-dir'], { cwd: repo });
  const objects = path.join(path.resolve(repo, stdout.trim()), 'objects');
  const dir = await mkdtemp(path.join(scratchParent(), 'gt-history-'));
  try {
    await runGit(['init', '--bare', '-q', dir], { cwd: os.tmpdir() });
    await writeFile(path.join(dir, 'objects', 'info', 'alternates'), `${objects}\n`);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
