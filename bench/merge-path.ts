/**
 * The Refinery's merge path against three references, on one generated repository per
 * size, all merging `count` prepared branches that each change 1-3 files of their own
 * (every merge is clean), based on the same initial commit:
 *
 * - floor: the git plumbing alone, a bare loop of `merge-tree --write-tree`,
 *   `commit-tree` and `update-ref <ref> <new> <old>` through the project's runGit: three
 *   processes per landing;
 * - pipe floor: the same landing through the pipes the Refinery uses (server/git/git-pipes.ts:
 *   merge-tree and update-ref pipes, the commit written in-process), in a bare loop;
 * - refinery: the real engine path, a Town opened on a store holding the queued merge
 *   requests, its Refinery (1 worker, no checks) landing them on `main`;
 * - checkout-and-rebase: how a one-at-a-time refinery works without plumbing, in a
 *   worktree: `checkout -B tmp <branch>`, `rebase <target>`, `update-ref <target> HEAD`.
 *
 * Each method gets its own set of branches (so no method reuses objects another one
 * wrote) and its own target ref. Figures are wall ms per landed branch.
 */
import path from 'node:path';
import { VirtualClock } from '../server/engine/clock';
import type { DomainEvent } from '../contracts/events';
import { CliGit } from '../server/git/cli-git';
import { gitProcessesStarted, runGit } from '../server/git/run-git';
import { MemoryStore } from '../server/store/memory-store';
import {
  generateRepository,
  landingOrder,
  median,
  mergeRequestsFor,
  openTownWithQueue,
  prepareBranches,
  tempDir,
  timed,
  within,
  type CallTimes,
  type PreparedBranch,
} from './support';

export interface MergePathRow {
  files: number;
  /** Branches landed by each method: `rounds` rounds of `perRound`. */
  count: number;
  rounds: number;
  /** One `git --version` through runGit: the cost of a spawn, the unit of all three. */
  spawnMs: number;
  /** Wall ms per landed branch of each method: median over the rounds. */
  floorMs: number;
  pipeFloorMs: number;
  refineryMs: number;
  rebaseMs: number;
  /** The Refinery's wall ms per landed branch over all rounds (the breakdown's total). */
  refineryMeanMs: number;
  /** Median `mergeMs` of the Refinery's `mr.merged` events. */
  refineryEventMsP50: number;
  /** Per-merge ms of each git step of the floor and the baseline. */
  floorSteps: Record<string, number>;
  pipeFloorSteps: Record<string, number>;
  rebaseSteps: Record<string, number>;
  /** The Refinery's GitPort and store calls: per landed request, count and ms. */
  refineryGit: Record<string, { perMerge: number; ms: number }>;
  refineryStore: Record<string, { perMerge: number; ms: number }>;
  /**
   * Git processes the Refinery started per landed branch in the rounds after the first
   * (whose first calls start the pipes): from its start to its last landing (steady
   * state), and including opening the Town (each round reopens it).
   */
  refineryProcessesPerLanding: number;
  refineryProcessesPerLandingWithOpen: number;
  setupSeconds: number;
}

type Steps = Record<string, number>;

/** Times `work` from before its spawn (runGit forks synchronously when called). */
async function step<T>(steps: Steps, name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  steps[name] = (steps[name] ?? 0) + performance.now() - started;
  return result;
}

function addCalls(into: CallTimes, from: CallTimes): void {
  for (const [name, c] of from) {
    const e = into.get(name) ?? { n: 0, ms: 0 };
    e.n += c.n;
    e.ms += c.ms;
    into.set(name, e);
  }
}

/**
 * The plumbing floor: the three git commands of a plumbing landing (merge-tree, commit-tree,
 * update-ref), nothing else. The Refinery writes the merge commit in-process instead of
 * running commit-tree (server/git/loose-object.ts), so it spawns one process fewer.
 */
async function floorRound(repo: string, branches: PreparedBranch[], steps: Steps): Promise<number> {
  const ref = 'refs/heads/floor';
  let tip = (await runGit(['rev-parse', ref], { cwd: repo })).stdout.trim();
  const started = performance.now();
  for (const b of branches) {
    const merged = await step(steps, 'merge-tree', () => runGit(['merge-tree', '--write-tree', tip, b.head], { cwd: repo }));
    const tree = merged.stdout.split('\n')[0];
    const commit = await step(steps, 'commit-tree', () =>
      runGit(['commit-tree', tree, '-p', tip, '-p', b.head, '-m', `Merge ${b.name}`], { cwd: repo }),
    );
    const sha = commit.stdout.trim();
    await step(steps, 'update-ref', () => runGit(['update-ref', ref, sha, tip], { cwd: repo }));
    tip = sha;
  }
  return (performance.now() - started) / branches.length;
}

/** The pipe floor: merge-tree and update-ref through the pipes, the commit in-process, nothing else. */
async function pipeFloorRound(git: CliGit, repo: string, branches: PreparedBranch[], steps: Steps): Promise<number> {
  const ref = 'refs/heads/pipe-floor';
  let tip = await git.resolveRef(repo, ref);
  const started = performance.now();
  for (const b of branches) {
    const merged = await step(steps, 'merge-tree', () => git.mergeTree(repo, tip, b.head));
    if (!merged.clean) throw new Error(`pipe floor: ${b.name} conflicted`);
    const sha = await step(steps, 'commit', () => git.commitTree(repo, merged.tree, [tip, b.head], `Merge ${b.name}`));
    if (!(await step(steps, 'update-ref', () => git.compareAndSwapRef(repo, ref, sha, tip)))) {
      throw new Error('pipe floor: lost a race nobody runs');
    }
    tip = sha;
  }
  return (performance.now() - started) / branches.length;
}

/** Git processes the Refinery rounds started after the first (which starts the pipes): in all, landings. */
interface ProcessCounts {
  steady: number;
  withOpen: number;
  landings: number;
}

/** A one-at-a-time refinery without plumbing: check the branch out, rebase it, move the target. */
async function rebaseRound(worktree: string, branches: PreparedBranch[], steps: Steps): Promise<number> {
  const started = performance.now();
  for (const b of branches) {
    await step(steps, 'checkout -B', () => runGit(['checkout', '-q', '-B', 'tmp', b.name], { cwd: worktree }));
    await step(steps, 'rebase', () => runGit(['rebase', '-q', 'rebase-target'], { cwd: worktree }));
    await step(steps, 'update-ref', () => runGit(['update-ref', 'refs/heads/rebase-target', 'HEAD'], { cwd: worktree }));
  }
  return (performance.now() - started) / branches.length;
}

/** The real engine: a Town whose Refinery (1 worker, no checks) lands the queued requests. */
async function refineryRound(
  cliGit: CliGit,
  warmUp: boolean,
  repo: string,
  dir: string,
  branches: PreparedBranch[],
  gitCalls: CallTimes,
  storeCalls: CallTimes,
  eventMs: number[],
  processes: ProcessCounts,
): Promise<number> {
  const openedAt = gitProcessesStarted();
  const clock = new VirtualClock();
  const git = timed(cliGit);
  const store = timed(new MemoryStore());
  const before = (await runGit(['rev-parse', 'refs/heads/main'], { cwd: repo })).stdout.trim();
  const mergeRequests = mergeRequestsFor(branches, 'bench', clock.now() - branches.length);
  const town = await openTownWithQueue({
    dir,
    repo,
    clock,
    git: git.proxy,
    store: store.proxy,
    mergeRequests,
    settings: { refineryWorkers: 1, checks: [] },
  });
  git.calls.clear();
  store.calls.clear();
  let landed = 0;
  const done = new Promise<void>((resolve, reject) => {
    town.bus.subscribe((e: DomainEvent) => {
      if (e.type === 'mr.merged') {
        eventMs.push(e.mergeMs);
        if (++landed === branches.length) resolve();
      } else if (e.type === 'mr.conflicted' || e.type === 'mr.rejected') {
        reject(new Error(`refinery: ${e.mr} ${e.type} on a clean merge`));
      }
    });
  });
  const started = performance.now();
  const startedAt = gitProcessesStarted();
  town.start();
  await within(done, 120_000, 'refinery merge path');
  const ms = (performance.now() - started) / branches.length;
  if (!warmUp) {
    processes.steady += gitProcessesStarted() - startedAt;
    processes.withOpen += gitProcessesStarted() - openedAt;
    processes.landings += branches.length;
  }
  addCalls(gitCalls, git.calls);
  addCalls(storeCalls, store.calls);
  await town.stop();
  const order = await landingOrder(repo, before);
  if (order.join() !== mergeRequests.map((mr) => mr.id).join()) {
    throw new Error(`refinery: landing order ${order.join()} != queue order`);
  }
  return ms;
}

async function spawnCost(repo: string, n = 20): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await runGit(['--version'], { cwd: repo });
  return (performance.now() - started) / n;
}

/**
 * One repository of `files` files; each method lands `rounds * perRound` branches of its
 * own. The methods take turns round by round (in rotating order), so load from anything
 * else on the machine falls on all three alike; each figure is the median of its rounds.
 */
export async function mergePath(files: number, rounds = 6, perRound = 8): Promise<MergePathRow> {
  const { dir, cleanup } = await tempDir('gt-bench-merge-');
  try {
    const setupStarted = performance.now();
    const repo = path.join(dir, 'repo');
    const base = await generateRepository(repo, files);
    const count = rounds * perRound;
    const all = await prepareBranches(repo, base, { count: 4 * count, files, prefix: 'feature', seed: files });
    await runGit(['update-ref', 'refs/heads/floor', base], { cwd: repo });
    await runGit(['update-ref', 'refs/heads/pipe-floor', base], { cwd: repo });
    await runGit(['update-ref', 'refs/heads/rebase-target', base], { cwd: repo });
    const worktree = path.join(dir, 'checkout');
    await runGit(['worktree', 'add', '-q', '--detach', worktree, base], { cwd: repo });
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    const spawnMs = await spawnCost(repo);
    const floorSteps: Steps = {};
    const pipeFloorSteps: Steps = {};
    const rebaseSteps: Steps = {};
    const processes: ProcessCounts = { steady: 0, withOpen: 0, landings: 0 };
    // One CliGit for the run, as the server has one for its life: each round reopens the
    // Town (the engine's restart path), not the adapter, whose pipes and look-ups stay warm.
    const cliGit = new CliGit();
    const gitCalls: CallTimes = new Map();
    const storeCalls: CallTimes = new Map();
    const eventMs: number[] = [];
    const ms = { floor: [] as number[], pipeFloor: [] as number[], refinery: [] as number[], rebase: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const slice = (method: number) => all.slice((method * rounds + r) * perRound, (method * rounds + r + 1) * perRound);
      const runs = [
        async () => ms.floor.push(await floorRound(repo, slice(0), floorSteps)),
        async () =>
          ms.refinery.push(await refineryRound(cliGit, r === 0, repo, dir, slice(1), gitCalls, storeCalls, eventMs, processes)),
        async () => ms.rebase.push(await rebaseRound(worktree, slice(2), rebaseSteps)),
        async () => ms.pipeFloor.push(await pipeFloorRound(cliGit, repo, slice(3), pipeFloorSteps)),
      ];
      for (let k = 0; k < runs.length; k++) await runs[(r + k) % runs.length]();
    }

    const count1 = async (range: string, firstParent: boolean) =>
      Number(
        (await runGit(['rev-list', ...(firstParent ? ['--first-parent'] : []), '--count', range], { cwd: repo })).stdout.trim(),
      );
    if ((await count1(`${base}..refs/heads/floor`, true)) !== count) throw new Error('floor: not every branch landed');
    if ((await count1(`${base}..refs/heads/main`, true)) !== count) throw new Error('refinery: not every branch landed');
    if ((await count1(`${base}..refs/heads/pipe-floor`, true)) !== count) throw new Error('pipe floor: not every branch landed');
    if ((await count1(`${base}..refs/heads/rebase-target`, false)) !== count) {
      throw new Error('checkout-and-rebase: not every branch landed');
    }
    const perMerge = (calls: CallTimes) =>
      Object.fromEntries([...calls].map(([name, c]) => [name, { perMerge: c.n / count, ms: c.ms / count }]));
    const perStep = (steps: Steps) => Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, v / count]));
    return {
      files,
      count,
      rounds,
      spawnMs,
      floorMs: median(ms.floor),
      pipeFloorMs: median(ms.pipeFloor),
      refineryMs: median(ms.refinery),
      rebaseMs: median(ms.rebase),
      refineryMeanMs: ms.refinery.reduce((a, b) => a + b, 0) / rounds,
      refineryEventMsP50: median(eventMs),
      floorSteps: perStep(floorSteps),
      pipeFloorSteps: perStep(pipeFloorSteps),
      rebaseSteps: perStep(rebaseSteps),
      refineryGit: perMerge(gitCalls),
      refineryStore: perMerge(storeCalls),
      refineryProcessesPerLanding: processes.steady / processes.landings,
      refineryProcessesPerLandingWithOpen: processes.withOpen / processes.landings,
      setupSeconds,
    };
  } finally {
    await cleanup();
  }
}
