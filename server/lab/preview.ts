/**
 * Previews of the operator's levers: before scaling a Refinery, staggering a convoy or
 * splitting a rig, run the what-if from the live rig (calibrated) with and without the
 * change, on the same seed, and show both.
 */
import { z } from 'zod';
import { line, TEXT_LIMITS } from '../../contracts/text';
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';
import { notFound } from '../engine/errors';
import { MAX_REFINERY_WORKERS } from '../engine/town';
import { calibrate, type Calibration } from './calibrate';
import { LabParamsError, parseLabParams, type LabParams } from './params';
import { runLab, type LabResult } from './run';
import { REPO_LIMITS } from './sim-repo';

export const changeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('scale'), workers: z.number().int().min(1).max(MAX_REFINERY_WORKERS) }).strict(),
  z
    .object({
      kind: z.literal('stagger'),
      convoy: line({ max: TEXT_LIMITS.id, min: 1 }),
      waveSize: z.number().int().min(1).nullable(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('split'),
      partitions: z
        .array(
          z.object({ name: line({ max: 40, min: 1 }), globs: z.array(line({ max: TEXT_LIMITS.path, min: 1 })).min(1) }).strict(),
        )
        .min(2)
        .max(REPO_LIMITS.areas),
    })
    .strict(),
]);

export const previewSchema = z
  .object({ rig: line({ max: 40, min: 1 }), change: changeSchema, seed: z.number().int().min(0).optional() })
  .strict();
export type PreviewRequest = z.infer<typeof previewSchema>;
export type Change = z.infer<typeof changeSchema>;

export interface PreviewSide {
  params: LabParams;
  figures: LabResult['figures'];
  series: LabResult['series'];
}

export interface Preview {
  rig: string;
  change: Change;
  calibration: Calibration;
  before: PreviewSide;
  after: PreviewSide;
  notes: string[];
}

const side = (r: LabResult): PreviewSide => ({ params: r.params, figures: r.figures, series: r.series });

/** The what-if parameters before and after a change, from the calibrated rig. */
function applyChange(town: Town, base: LabParams, change: Change, notes: string[]): { before: LabParams; after: LabParams } {
  switch (change.kind) {
    case 'scale':
      return { before: base, after: { ...base, workers: change.workers } };
    case 'stagger': {
      const convoy = town.getConvoy(change.convoy);
      if (!convoy) throw notFound('open convoy', change.convoy);
      const left = convoy.beadIds.filter((id) => town.getActiveBead(id)?.status === 'open').length;
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

export async function previewChange(town: Town, store: TownStore, request: PreviewRequest): Promise<Preview> {
  const calibration = await calibrate(town, store, request.rig, request.seed ?? 1);
  const notes = [...calibration.notes];
  const { before, after } = applyChange(town, calibration.params, request.change, notes);
  if (request.change.kind === 'split' && after.polecatsPerRig < after.split) {
    throw new LabParamsError([`${after.polecatsPerRig} polecats cannot be divided among ${after.split} rigs`]);
  }
  const [b, a] = [await runLab(parseLabParams(before)), await runLab(parseLabParams(after))];
  return { rig: request.rig, change: request.change, calibration, before: side(b), after: side(a), notes };
}
