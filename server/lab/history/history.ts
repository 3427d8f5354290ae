/**
 * The history lab: a rig's own first-parent history replayed in sampled windows
 * (./replay.ts), folded into the conflict curve (./curve.ts) and the partitions ranked by
 * the conflicts they leave (./co-change.ts). Windows start at distinct changes drawn with
 * the seed, so one seed gives one curve. Everything git writes goes to a scratch
 * repository (./scratch.ts); the rig's repository is only read.
 *
 * This is the step; ./worker.ts is where the server runs it, off its event loop.
 */
import type { PartitionSpec } from '../../../contracts/split';
import { PAINFUL_RATE, type HistoryReport } from '../../../contracts/lab-history';
import { seededRandom } from '../../engine/random';
import { GitPipes } from '../../git/git-pipes';
import { gitProcessesStarted } from '../../git/run-git';
import { coChangeCandidates, coChangePairs, rankPartitions } from './co-change';
import { conflictCurve, reachesRateAt } from './curve';
import { isShallow, readFirstParentHistory } from './log';
import { canStartAt, replayWindow, type WindowReplay } from './replay';
import { ScratchGit } from './scratch-git';
import { openScratch } from './scratch';

/** The smallest N partitions are judged at: the seed's painful point (30% at 15 polecats). */
const PARTITIONS_AT_LEAST = 15;

export interface HistoryJob {
  rig: string;
  repo: string;
  branch: string;
  maxN: number;
  windows: number;
  seed: number;
  /** The rig's polecats: partitions are judged at this N when it is above 15 (within maxN). */
  polecats: number;
  /** `gt rig split --suggest`'s partitions, ranked beside the co-change ones. */
  suggestion?: PartitionSpec[];
}

export type HistoryProgressListener = (windowsDone: number, windows: number) => void;

/** Distinct window starts drawn with the seed (all of them when there are fewer). */
export function sampleStarts(starts: number[], count: number, seed: number): number[] {
  const pool = [...starts];
  const random = seededRandom(seed);
  const picked: number[] = [];
  while (picked.length < count && pool.length > 0) {
    const i = Math.floor(random.next() * pool.length);
    picked.push(pool[i]);
    pool[i] = pool[pool.length - 1];
    pool.pop();
  }
  return picked.sort((a, b) => a - b);
}

export async function replayHistory(job: HistoryJob, onProgress: HistoryProgressListener = () => {}): Promise<HistoryReport> {
  const began = performance.now();
  const processesBefore = gitProcessesStarted();
  const notes: string[] = [];
  const [history, shallow] = await Promise.all([readFirstParentHistory(job.repo, job.branch), isShallow(job.repo)]);
  // A window needs a base and maxN changes after it; a short history gets a shorter curve.
  const maxN = Math.max(1, Math.min(job.maxN, history.length - 1));
  if (maxN < job.maxN) notes.push(`the branch has ${history.length} first-parent commits: windows of at most ${maxN} changes`);
  if (shallow) notes.push('a shallow clone: windows start after its boundary; windows missing objects are skipped');
  const starts: number[] = [];
  for (let s = 1; s + maxN <= history.length; s++) if (canStartAt(history, s)) starts.push(s);
  const picked = sampleStarts(starts, job.windows, job.seed);
  if (picked.length < job.windows)
    notes.push(`${picked.length} distinct windows of ${maxN} changes fit in the history (asked ${job.windows})`);

  const scratch = await openScratch(job.repo);
  const pipes = new GitPipes(5_000);
  const git = new ScratchGit(scratch.path, pipes);
  const replays: WindowReplay[] = [];
  try {
    onProgress(0, picked.length);
    for (const start of picked) {
      replays.push(await replayWindow(git, scratch.path, history, start, maxN));
      onProgress(replays.length, picked.length);
    }
  } finally {
    pipes.close();
    await scratch.remove();
  }

  const skipped = replays.filter((r) => r.missing).length;
  if (skipped > 0) notes.push(`${skipped} windows ran into missing objects and were cut short (counted per point as skipped)`);
  const curve = conflictCurve(replays, maxN);
  // A split is weighed where a rig starts to hurt (the seed's 15) or at the rig's polecats if more.
  const atN = Math.min(maxN, Math.max(PARTITIONS_AT_LEAST, job.polecats));
  const candidates = [
    ...(job.suggestion?.length ? [{ source: 'suggestion' as const, partitions: job.suggestion }] : []),
    ...coChangeCandidates(job.rig, history).map((partitions) => ({ source: 'co-change' as const, partitions })),
  ];
  const processes = gitProcessesStarted() - processesBefore;
  const unsplitRate = curve[atN - 1]?.windows ? curve[atN - 1].rate : null;
  return {
    rig: job.rig,
    branch: job.branch,
    seed: job.seed,
    maxN,
    changes: history.length,
    windowsAsked: job.windows,
    windowsSampled: replays.length,
    windowsSkipped: skipped,
    shallow,
    curve,
    reachesPainfulAt: reachesRateAt(curve, PAINFUL_RATE),
    coChange: coChangePairs(history),
    partitionsAtN: atN,
    unsplitRate,
    partitions: rankPartitions(candidates, history, replays, atN, unsplitRate ?? 0, job.rig),
    gitProcesses: processes,
    gitProcessesPerWindow: replays.length ? Math.round((processes / replays.length) * 100) / 100 : 0,
    elapsedMs: Math.round(performance.now() - began),
    notes,
  };
}
