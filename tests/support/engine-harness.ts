/**
 * A town on virtual time over real git in a temporary directory: the engine tests'
 * fixture. Time only moves when the test advances it; `runUntil` steps the clock and
 * settles async work between timers, so runs are deterministic.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScriptedAgentRuntime } from '../../server/agents/scripted-agent';
import { VirtualClock } from '../../server/engine/clock';
import type { AgentRuntime, CheckPort, GitPort, TownStore } from '../../server/engine/ports';
import { seededRandom } from '../../server/engine/random';
import { createEngine } from '../../server/engine/assembly';
import type { Town } from '../../server/engine/town';
import { CliGit, initRepository } from '../../server/git/cli-git';
import { CheckRunner } from '../../server/checks/check-runner';
import { CliUpstream } from '../../server/git/upstream';
import { demoRepositoryFiles } from '../../server/git/demo-repo';
import { MemoryStore } from '../../server/store/memory-store';

export interface Harness {
  dir: string;
  repoPath: string;
  clock: VirtualClock;
  store: TownStore;
  git: GitPort;
  /** Opens a Town on this harness; a restart passes the new process's store (and git). */
  open(over?: { store?: TownStore; git?: GitPort }): Promise<Town>;
  cleanup(): Promise<void>;
}

export async function createHarness(
  options: {
    store?: TownStore;
    git?: GitPort;
    /** Default: real check processes. */ checks?: (clock: VirtualClock) => CheckPort;
    /** Default: the scripted agent. `dir` is the harness's temporary directory. */
    agents?: (clock: VirtualClock, git: GitPort, dir: string) => AgentRuntime;
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-engine-'));
  const repoPath = path.join(dir, 'repo');
  await initRepository(repoPath, demoRepositoryFiles());
  const clock = new VirtualClock();
  const store = options.store ?? new MemoryStore();
  const git = options.git ?? new CliGit();
  return {
    dir,
    repoPath,
    clock,
    store,
    git,
    open: (over = {}) =>
      createEngine({
        clock,
        git: over.git ?? git,
        store: over.store ?? store,
        agents: options.agents?.(clock, over.git ?? git, dir) ?? new ScriptedAgentRuntime({ clock, git: over.git ?? git }),
        checks: options.checks?.(clock) ?? new CheckRunner({ scratchRoot: path.join(dir, 'scratch') }),
        // Only rigs landing upstream call it (none of the harness's own: its repository has no upstream).
        upstream: new CliUpstream(),
        workDir: dir,
        random: seededRandom(42),
      }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Advances virtual time in steps until `done()` holds or `maxMs` has passed. By default
 * async work settles after every timer (fully deterministic). With `overlap`, it settles
 * only once per step, so work started by timers of one step runs concurrently (merge
 * requests arrive while others are still being validated), as in a real town.
 */
export async function runUntil(
  clock: VirtualClock,
  town: Town,
  done: () => boolean,
  maxMs: number,
  stepMs = 1_000,
  options: { overlap?: boolean } = {},
): Promise<void> {
  const until = clock.now() + maxMs;
  while (!done() && clock.now() < until) {
    if (options.overlap) {
      await clock.advance(stepMs);
      await town.settle();
    } else await clock.advance(stepMs, () => town.settle());
  }
}
