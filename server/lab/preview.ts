/**
 * Previews of the operator's levers: before scaling a Refinery, staggering a convoy or
 * splitting a rig, run the what-if from the live rig (calibrated) with and without the
 * change, on the same seed, and show both.
 */
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';
import { notFound } from '../engine/errors';
import { calibrate, MAX_FIT_RUNS, type ReplayedRate } from './calibrate';
import {
  type LabParams,
  type LabResult,
  type Change,
  type Preview,
  type PreviewProgress,
  type PreviewRequest,
  type PreviewSide,
} from '../../contracts/lab';
import { LabParamsError, parseLabParams } from './params';
import { RunCache } from './run-cache';

const side = (r: LabResult): PreviewSide => ({ params: r.params, figures: r.figures, series: r.series });

/** The what-if parameters before and after a change, from the calibrated rig. */
function applyChange(town: Town, base: LabParams, change: Change, notes: string[]): { before: LabParams; after: LabParams } {
  switch (change.kind) {
    case 'scale':
      return { before: base, after: { ...base, workers: change.workers } };
    case 'stagger': {
      const convoy = town.convoys.find(change.convoy);
      if (!convoy) throw notFound('open convoy', change.convoy);
      const left = convoy.beadIds.filter((id) => town.beads.get(id)?.status === 'open').length;
      const beads = Math.max(1, left || convoy.beadIds.length);
      if (left === 0) notes.push('no bead of the convoy is waiting: previewing its whole size');
      const convoyRun = (waveSize: number | null) => ({
        ...base,
        hours: 48,
        convoy: { beads, waveSize: waveSize && Math.min(waveSize, beads) },
      });
      return { before: convoyRun(convoy.waveSize), after: convoyRun(change.waveSize) };
    }
    case 'split': {
      const parts = change.partitions.length;
      notes.push(`modelled as ${parts} rigs with equal shares of the repository and of the polecats, one target branch`);
      const areas = Math.max(base.areas, parts);
      return { before: { ...base, areas }, after: { ...base, areas, split: parts } };
    }
  }
}

export interface PreviewOptions {
  /** The request went away: the runs stop (between two instants of virtual time). */
  signal?: AbortSignal;
  /** Hears each run as it starts. */
  onProgress?: (progress: PreviewProgress) => void;
  /** Runs kept across previews (default: none kept). */
  cache?: RunCache;
  /** The spread this rig's last calibration fitted (see calibrate). */
  hint?: number;
}

/** `replayed`: the rig's replayed history, when the lab has one, calibrates the conflict rate. */
export async function previewChange(
  town: Town,
  store: TownStore,
  request: PreviewRequest,
  replayed?: ReplayedRate,
  options: PreviewOptions = {},
): Promise<Preview> {
  const cache = options.cache ?? new RunCache(MAX_FIT_RUNS + 2);
  // Steps: at most the fit's runs, then before and after; exact once the fit is done.
  let step = 0;
  let steps = MAX_FIT_RUNS + 2;
  const run = (params: Parameters<typeof parseLabParams>[0], label: string) => {
    options.onProgress?.({ step: ++step, steps: Math.max(step, steps), label });
    return cache.run(parseLabParams(params), options.signal);
  };
  const calibration = await calibrate(town, store, request.rig, request.seed ?? 1, replayed, { run, hint: options.hint });
  steps = step + 2;
  const notes = [...calibration.notes];
  const { before, after } = applyChange(town, calibration.params, request.change, notes);
  if (request.change.kind === 'split' && after.polecatsPerRig < after.split) {
    throw new LabParamsError([`${after.polecatsPerRig} polecats cannot be divided among ${after.split} rigs`]);
  }
  const b = await run(before, 'simulating now');
  const a = await run(after, 'simulating the change');
  return { rig: request.rig, change: request.change, calibration, before: side(b), after: side(a), notes };
}
