/**
 * What a what-if may ask for, validated: the lab page, the API, the CLI and the
 * scenarios all describe a run with these parameters. Limits are stated, so an absurd
 * size gets a clear error instead of a run that never ends (bigger runs are the bench's).
 */
import { z } from 'zod';
import { DEFAULT_AGENT_MODEL } from './sim-agents';
import { DEFAULT_REPO_SHAPE, REPO_LIMITS } from './sim-repo';

export const LAB_LIMITS = {
  rigs: 200,
  polecatsPerRig: 100,
  totalPolecats: 2_000,
  workers: 16,
  hours: 48,
  convoyBeads: 2_000,
} as const;

const seconds = (min: number, max: number) => z.number().min(min).max(max);

export const labParamsSchema = z
  .object({
    /** Random seed: the same parameters and seed give the same run. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
    /** Virtual hours to run (a convoy run stops earlier when the convoy has landed). */
    hours: z.number().positive().max(LAB_LIMITS.hours).default(8),
    rigs: z.number().int().min(1).max(LAB_LIMITS.rigs).default(1),
    /** Rigs that get work; the rest sit idle (warm), as in a town with parked projects. */
    activeRigs: z.number().int().min(0).max(LAB_LIMITS.rigs).optional(),
    polecatsPerRig: z.number().int().min(0).max(LAB_LIMITS.polecatsPerRig).default(5),
    /** Split each rig's repository into this many rigs with disjoint path scopes (its areas). */
    split: z.number().int().min(1).max(REPO_LIMITS.areas).default(1),
    workers: z.number().int().min(1).max(LAB_LIMITS.workers).default(1),
    deaconMode: z.enum(['tiered', 'sequential']).default('tiered'),
    /** Tier cadences, seconds. */
    tiers: z
      .object({ hot: seconds(5, 3_600), warm: seconds(5, 3_600), cold: seconds(5, 7_200) })
      .default({ hot: 30, warm: 120, cold: 600 }),
    /** Engine seconds the Deacon spends on one rig's patrol. */
    rigPatrolSeconds: seconds(0.1, 600).default(10),
    /** One convoy instead of a steady backlog: its size and wave size (null: all at once). */
    convoy: z
      .object({
        beads: z.number().int().min(1).max(LAB_LIMITS.convoyBeads),
        waveSize: z.number().int().min(1).max(LAB_LIMITS.convoyBeads).nullable(),
      })
      .nullable()
      .default(null),
    workMinutes: z
      .number()
      .min(0.05)
      .max(600)
      .default(DEFAULT_AGENT_MODEL.workMedianMs / 60_000),
    workSpread: z.number().min(0).max(2).default(DEFAULT_AGENT_MODEL.workSpread),
    tokensPerBead: z.number().int().min(0).max(10_000_000).default(DEFAULT_AGENT_MODEL.tokensPerBead),
    failureRate: z.number().min(0).max(1).default(DEFAULT_AGENT_MODEL.failureRate),
    stallRate: z.number().min(0).max(1).default(DEFAULT_AGENT_MODEL.stallRate),
    /** Median engine minutes one validation (the rig's gates) takes. */
    gateMinutes: z.number().min(0.05).max(240).default(1),
    /** Engine seconds one speculative merge costs the Refinery worker. */
    mergeSeconds: z.number().min(0).max(600).default(10),
    /** Provider cap on tokens per minute across the town; null: none. */
    tokensPerMinute: z.number().int().positive().nullable().default(null),
    areas: z.number().int().min(1).max(REPO_LIMITS.areas).default(DEFAULT_REPO_SHAPE.areas.length),
    modulesPerArea: z.number().int().min(0).max(REPO_LIMITS.modulesPerArea).default(DEFAULT_REPO_SHAPE.modulesPerArea),
    regionsPerFile: z.number().int().min(1).max(REPO_LIMITS.regionsPerFile).default(DEFAULT_REPO_SHAPE.regionsPerFile),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.rigs * p.polecatsPerRig > LAB_LIMITS.totalPolecats) {
      ctx.addIssue({
        code: 'custom',
        path: ['polecatsPerRig'],
        message: `at most ${LAB_LIMITS.totalPolecats} polecats in all (rigs x polecatsPerRig)`,
      });
    }
    if ((p.activeRigs ?? p.rigs) > p.rigs)
      ctx.addIssue({ code: 'custom', path: ['activeRigs'], message: 'activeRigs cannot exceed rigs' });
    if (p.split > p.areas)
      ctx.addIssue({ code: 'custom', path: ['split'], message: `cannot split ${p.areas} areas into ${p.split} rigs` });
    if (p.split > 1 && p.polecatsPerRig < p.split) {
      ctx.addIssue({
        code: 'custom',
        path: ['split'],
        message: `${p.polecatsPerRig} polecats cannot be divided among ${p.split} rigs`,
      });
    }
    if (p.convoy?.waveSize != null && p.convoy.waveSize > p.convoy.beads) {
      ctx.addIssue({ code: 'custom', path: ['convoy', 'waveSize'], message: 'waveSize cannot exceed the convoy size' });
    }
  });

export type LabParamsInput = z.input<typeof labParamsSchema>;
export type LabParams = z.output<typeof labParamsSchema>;

/** Thrown for parameters outside the stated limits; the message names every problem. */
export class LabParamsError extends Error {
  /** The API maps this code to 400 (lib/api.ts), like the engine's `invalid` errors. */
  readonly code = 'invalid';

  constructor(readonly issues: string[]) {
    super(`invalid what-if parameters: ${issues.join('; ')}`);
    this.name = 'LabParamsError';
  }

  get details(): string[] {
    return this.issues;
  }
}

export function parseLabParams(input: unknown): LabParams {
  const parsed = labParamsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new LabParamsError(parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`));
  }
  return parsed.data;
}
