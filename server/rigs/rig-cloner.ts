/**
 * Adding a rig from a git URL (`gt rig add`, POST /api/rigs, the overview's Add rig
 * dialog). In order, so a refusal changes nothing:
 *
 *   1. the name is checked against the town (taken, malformed) and against clones in
 *      progress; the URL and branch were checked by the command's schema (contracts/git-url.ts);
 *   2. the upstream is cloned bare under `<rigsRoot>/<name>` (UpstreamPort.cloneBare: the
 *      five transports only, a timeout, git's progress). A failed clone leaves no directory;
 *   3. only then is the rig recorded and attached to the running engine (`town.rigs.add`),
 *      with default settings and the scripted agent; should that fail, the clone goes.
 *
 * Progress reaches the page as `rig.clone_progress` events on the bus (published live,
 * never stored: a clone prints hundreds) and the CLI through `inProgress()` (GET
 * /api/rigs/clones), which it polls while its request waits.
 * The upstream URL is recorded without its password (the clone's config holds the same);
 * a password reaches git only for the clone itself, through its environment.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { withoutPassword } from '../../contracts/git-url';
import type { CloneInProgress } from '../../contracts/town';
import type { Rig } from '../../contracts/records';
import { conflict, invalid } from '../engine/errors';
import type { UpstreamPort } from '../engine/ports';
import type { Town } from '../engine/town';

/** A clone that takes longer than this is given up (and its directory removed). */
export const CLONE_TIMEOUT_MS = 10 * 60_000;

export interface AddRigInput {
  name: string;
  /** Any URL contracts/git-url.ts accepts; may carry a password (used once, never stored). */
  url: string;
  /** The target branch; absent: the upstream's HEAD. */
  branch?: string;
  /** Land in the rig's own clone only, never pushing (`--local`). */
  local: boolean;
  /** Polecats to add once the rig is attached. */
  polecats: number;
}

export class RigCloner {
  private readonly cloning = new Map<string, CloneInProgress>();

  constructor(
    private readonly options: {
      town: Town;
      upstream: UpstreamPort;
      /** Where rigs' clones live: `<GT_DATA_DIR>/rigs`. */
      rigsRoot: string;
      timeoutMs?: number;
    },
  ) {}

  /** Whether `repoPath` is a clone this cloner made (under the rigs root): only those may be purged. */
  owns(repoPath: string): boolean {
    const relative = path.relative(path.resolve(this.options.rigsRoot), path.resolve(repoPath));
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) && !relative.includes(path.sep);
  }

  /** Deletes a removed rig's clone (`gt rig remove --purge`). */
  async purge(repoPath: string): Promise<void> {
    if (!this.owns(repoPath)) throw invalid(`${repoPath} was not cloned by gt rig add; it is left on disk`);
    await rm(repoPath, { recursive: true, force: true });
  }

  /** Clones under way, with git's last reported phase and percent. */
  inProgress(): CloneInProgress[] {
    return [...this.cloning.values()].map((c) => ({ ...c }));
  }

  /** Clones `input.url` and attaches it as a rig; see the module comment for the order. */
  async add(input: AddRigInput): Promise<Rig> {
    const { town, upstream, rigsRoot } = this.options;
    town.rigs.checkNewName(input.name);
    if (this.cloning.has(input.name)) throw conflict(`rig '${input.name}' is being added`);
    const progress: CloneInProgress = {
      rig: input.name,
      url: withoutPassword(input.url),
      phase: null,
      percent: null,
      startedAt: town.clock.now(),
    };
    this.cloning.set(input.name, progress);
    const dir = path.join(rigsRoot, input.name);
    try {
      const cloned = await upstream.cloneBare(input.url, dir, {
        branch: input.branch,
        timeoutMs: this.options.timeoutMs ?? CLONE_TIMEOUT_MS,
        onProgress: ({ phase, percent }) => {
          Object.assign(progress, { phase, percent });
          town.bus.publish({ type: 'rig.clone_progress', at: town.clock.now(), rig: input.name, phase, percent });
        },
      });
      try {
        const rig = await town.rigs.add({
          name: input.name,
          repoPath: dir,
          targetBranch: cloned.targetBranch,
          settings: { landing: input.local ? 'local' : 'upstream', upstreamUrl: cloned.url },
        });
        if (input.polecats > 0) await town.polecats.add(input.name, input.polecats);
        return rig;
      } catch (error) {
        if (!town.rigs.get(input.name)) await rm(dir, { recursive: true, force: true });
        throw error;
      }
    } finally {
      this.cloning.delete(input.name);
    }
  }
}
