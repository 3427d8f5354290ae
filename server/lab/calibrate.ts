/**
 * Calibration: a what-if that starts from a live rig's reality. The rig's recorded
 * history (its event log) gives how long its polecats work on a bead, how long its checks
 * take and how often they fail, and its conflict rate; its settings give polecats and
 * Refinery workers. The conflict rate is then matched by fitting the one thing the lab
 * cannot read off the log, how spread out the edits are (the modelled repository's size),
 * with a few short runs of the real engine.
 */
import type { Town } from '../engine/town';
import type { TownStore } from '../engine/ports';
import { notFound } from '../engine/errors';
import {
  LAB_LIMITS,
  REPO_LIMITS,
  type Calibration,
  type LabParams,
  type LabParamsInput,
  type LabResult,
} from '../../contracts/lab';
import { parseLabParams } from './params';
import { runLab } from './run';

/** Runs one what-if for the calibration (a preview passes its cached, cancellable, counted runner). */
export type LabRunner = (params: LabParamsInput | LabParams, label: string) => Promise<LabResult>;

/** Below this many merge attempts the recorded conflict rate is not fitted (defaults stand). */
const MIN_ATTEMPTS_TO_FIT = 10;
const HISTORY_LIMIT = 5_000;
/** Edit spreads tried when fitting, densest first (modules per area). */
const SPREADS = [0, 2, 4, 8, 16, 32, 64, 128, 256, REPO_LIMITS.modulesPerArea];
/** Most fit runs the binary search over SPREADS takes: its probes, then both ends. */
export const MAX_FIT_RUNS = Math.ceil(Math.log2(SPREADS.length - 1)) + 2;
/** Longest fit run. */
const FIT_HOURS = 4;
/**
 * Beads a fit run works through. A fit only has to be finer than the rate it matches: a
 * live rig's recorded rate rests on tens or hundreds of attempts (a few points of sampling
 * error either way), and a run of a thousand beads measures its own rate to about one.
 * Four hours of a demo rig's 12 s beads were ten thousand, and made a preview take seconds.
 */
const FIT_BEADS = 1_000;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Beads a calibrated what-if works through: enough for rates to mean something, few enough to answer in a second or two. */
const PREVIEW_BEADS = 3_000;

/** Virtual hours for a calibrated what-if: a working day, shorter when beads are quick (a demo rig's take seconds). */
export function previewHours(polecats: number, workMinutes: number, beads = PREVIEW_BEADS): number {
  // Quarter hours: a what-if of "1.54 virtual hours" reads as noise.
  return clamp(Math.round(((beads * workMinutes) / 60 / polecats) * 4) / 4, 0.25, 8);
}
type RateAt = (spread: number) => Promise<number>;

/** Conflicts fall as edits spread out: binary search for the two spreads around the target. */
async function bracket(rateAt: RateAt, target: number): Promise<[number, number]> {
  let lo = 0;
  let hi = SPREADS.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((await rateAt(mid)) > target) lo = mid;
    else hi = mid;
  }
  return [lo, hi];
}

/**
 * The last fit's spread and a neighbour, when they still bracket the target: two runs
 * instead of up to six. Rates falling with spread, that is the bracket the search finds.
 */
async function hinted(hint: number | undefined, rateAt: RateAt, target: number): Promise<[number, number] | null> {
  const i = hint === undefined ? -1 : SPREADS.indexOf(hint);
  if (i < 0) return null;
  if ((await rateAt(i)) > target) return i + 1 < SPREADS.length && (await rateAt(i + 1)) <= target ? [i, i + 1] : null;
  return i > 0 && (await rateAt(i - 1)) > target ? [i - 1, i] : null;
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : null);

/** A conflict rate read off the rig's replayed history (server/lab/history) at its polecats. */
export interface ReplayedRate {
  n: number;
  rate: number;
  /** Windows behind the figure. */
  windows: number;
}

/**
 * `replayed`: fit the conflict rate to the rig's replayed history instead of its recorded
 * merges (a live rig's few dozen merges say little; thousands of commits say more).
 */
export async function calibrate(
  town: Town,
  store: TownStore,
  rigName: string,
  seed = 1,
  replayed?: ReplayedRate,
  options: {
    /** Default: runLab, nothing kept. */
    run?: LabRunner;
    /** The spread (modulesPerArea) this rig's last fit chose: checked first, a full search only if it no longer brackets. */
    hint?: number;
  } = {},
): Promise<Calibration> {
  const run = options.run ?? ((params: LabParamsInput | LabParams) => runLab(params));
  const rig = town.rigs.get(rigName);
  if (!rig) throw notFound('rig', rigName);
  const notes: string[] = [];
  const scale = Number.isFinite(town.clock.scale) ? town.clock.scale : 1;
  const events = await store.listEvents({
    rig: rigName,
    types: ['polecat.state_changed', 'mr.merged', 'mr.conflicted', 'mr.rejected', 'refinery.validated'],
    limit: HISTORY_LIMIT,
  });
  events.reverse(); // oldest first

  // Work time: from a polecat starting a bead (-> working) to submitting it.
  const startedAt = new Map<string, number>();
  const work: number[] = [];
  const checks: number[] = [];
  let merged = 0;
  let conflicts = 0;
  let rejected = 0;
  for (const { data: e } of events) {
    if (e.type === 'polecat.state_changed') {
      if (e.to === 'working' && e.from === 'idle') startedAt.set(e.polecat, e.at);
      else if (e.from === 'working' && e.to === 'submitted' && startedAt.has(e.polecat)) {
        work.push(e.at - startedAt.get(e.polecat)!);
        startedAt.delete(e.polecat);
      }
    } else if (e.type === 'mr.merged') merged++;
    else if (e.type === 'mr.conflicted') conflicts++;
    else if (e.type === 'mr.rejected') rejected++;
    else if (e.type === 'refinery.validated') checks.push(e.durationMs * scale); // real ms -> engine ms
  }
  const attempts = merged + conflicts + rejected;
  const polecats = town.polecats.list(rigName).length;
  const workMs = median(work) ?? rig.settings.agentWorkMs;
  if (work.length === 0) notes.push('no finished work recorded yet: work time from the rig settings');
  const checkMs = median(checks);
  if (checkMs === null) notes.push('no validations recorded yet: the lab default check time');

  const workMinutes = clamp(workMs / 60_000, 0.05, 600);
  const base = parseLabParams({
    seed,
    hours: previewHours(Math.max(1, polecats), workMinutes),
    polecatsPerRig: clamp(polecats, 1, LAB_LIMITS.polecatsPerRig),
    workers: rig.settings.refineryWorkers,
    workMinutes,
    checkMinutes: checkMs === null ? undefined : clamp(checkMs / 60_000, 0.05, 240),
    // A speculative merge costs about nothing next to checks that run for real.
    mergeSeconds: checkMs === null ? undefined : 0,
    failureRate: attempts > 0 ? rejected / attempts : rig.settings.agentFailureRate,
    stallRate: 0,
  });
  if (polecats === 0) notes.push('the rig has no polecats: the what-if gives it one');

  let params = base;
  let fitted: number | null = null;
  const fittedTo = replayed ? 'history' : attempts >= MIN_ATTEMPTS_TO_FIT ? 'events' : null;
  if (replayed)
    notes.push(
      `conflict rate fitted to the replayed history: ${Math.round(replayed.rate * 100)}% at ${replayed.n} changes from one base (${replayed.windows} windows)`,
    );
  if (fittedTo) {
    const target = replayed ? replayed.rate : conflicts / attempts;
    const tried = new Map<number, number>();
    const fitHours = Math.min(FIT_HOURS, previewHours(Math.max(1, polecats), workMinutes, FIT_BEADS));
    const rateAt = async (i: number) => {
      if (!tried.has(i)) {
        const r = await run({ ...base, hours: fitHours, modulesPerArea: SPREADS[i] }, `calibrating: edit spread ${SPREADS[i]}`);
        tried.set(i, r.figures.conflictRate ?? 0);
      }
      return tried.get(i)!;
    };
    const [lo, hi] = (await hinted(options.hint, rateAt, target)) ?? (await bracket(rateAt, target));
    const best = Math.abs((await rateAt(lo)) - target) <= Math.abs((await rateAt(hi)) - target) ? lo : hi;
    params = { ...base, modulesPerArea: SPREADS[best] };
    fitted = tried.get(best)!;
  } else notes.push(`only ${attempts} merge attempts recorded: conflict rate not fitted (lab default repository)`);

  return {
    rig: rigName,
    params,
    recorded: {
      workMinutes: { value: work.length ? workMs / 60_000 : null, sample: work.length },
      checkMinutes: { value: checkMs === null ? null : checkMs / 60_000, sample: checks.length },
      checkFailureRate: { value: attempts ? rejected / attempts : null, sample: attempts },
      conflictRate: { value: attempts ? conflicts / attempts : null, sample: attempts },
      polecats,
      workers: rig.settings.refineryWorkers,
    },
    fittedConflictRate: fitted,
    fittedTo,
    notes,
  };
}
