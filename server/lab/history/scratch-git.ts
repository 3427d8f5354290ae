/**
 * The git a replay speaks to its scratch repository: merges through the Refinery's own
 * `CliGit.mergeTree` (a long-lived `merge-tree --stdin` pipe), commits written straight
 * into the scratch objects. The writes are synchronous because the replay runs in a
 * worker thread (./worker.ts), where a 0.2 ms write beats five trips through libuv's
 * thread pool (measured 1.5 ms), and because nobody else writes to a scratch repository
 * the object is written in place, without git's temporary file and link. Commits carry
 * a fixed date, so one seed writes the same objects.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import type { MergeTreeResult } from '../../engine/ports';
import { CliGit } from '../../git/cli-git';
import type { GitPipes } from '../../git/git-pipes';
import { commitContent, hashObject } from '../../git/loose-object';
import { GIT_IDENTITY } from '../../git/run-git';
import type { ReplayGit } from './replay';

const FIXED_DATE = { seconds: 1_700_000_000, offsetMinutes: 0 };

export class ScratchGit implements ReplayGit {
  private readonly cli: CliGit;
  private readonly fanOut = new Set<string>();

  constructor(
    private readonly scratch: string,
    pipes: GitPipes,
  ) {
    this.cli = new CliGit({ pipes });
  }

  mergeTree(repo: string, ours: string, theirs: string): Promise<MergeTreeResult> {
    return this.cli.mergeTree(repo, ours, theirs);
  }

  async commitTree(_repo: string, tree: string, parents: string[], message: string): Promise<string> {
    const content = commitContent({ tree, parents, message, author: GIT_IDENTITY, committer: GIT_IDENTITY, date: FIXED_DATE });
    const { id, object } = hashObject('commit', content);
    const dir = path.join(this.scratch, 'objects', id.slice(0, 2));
    if (!this.fanOut.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.fanOut.add(dir);
    }
    try {
      writeFileSync(path.join(dir, id.slice(2)), deflateSync(object, { level: 1 }), { flag: 'wx', mode: 0o444 });
    } catch (error) {
      // The same commit again (one seed, one window replayed twice): it is there already.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return id;
  }
}
