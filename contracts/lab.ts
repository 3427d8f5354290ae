/**
 * The what-if lab as the lab page, the API and `gt lab` describe it: the run parameters
 * (validated, with stated limits, so an absurd size gets a clear error instead of a run
 * that never ends), the modelled repository and agents they default to, and what a run,
 * a calibration, a preview of a change and a scenario answer. The lab itself is
 * server/lab.
 */
import { z } from 'zod';
import { MAX_REFINERY_WORKERS } from './records';
import { line, TEXT_LIMITS } from './text';

/** The modelled repository a simulated rig works on (laid out by server/lab/sim-repo.ts). */
export interface RepoShape {
  /** Top-level areas; a split gives each rig one or more of them as its scope. */
  areas: string[];
  /** Leaf modules per area (besides the hotspot files every area has). */
  modulesPerArea: number;
  /** Regions (independently editable blocks) per file. */
  regionsPerFile: number;
}

/** Stated limits: what a what-if may ask for (bigger runs belong to the bench). */
export const REPO_LIMITS = { areas: 12, modulesPerArea: 400, regionsPerFile: 64 } as const;

/**
 * Calibrated so that the seed's first table comes out of the engine: with 30-minute
 * beads, about 10% conflicts at 5 polecats on one rig (see docs/lab.md).
 */
export const DEFAULT_REPO_SHAPE: RepoShape = { areas: ['core', 'ui', 'tests'], modulesPerArea: 16, regionsPerFile: 12 };

/** How the modelled agents behave (server/lab/sim-agents.ts): what the run parameters default to. */
export interface AgentModel {
  /** Median engine ms a fresh bead takes. */
  workMedianMs: number;
  /** Log-normal sigma of the work time (0: every bead takes the median). */
  workSpread: number;
  /** A rework (re-applying the edits on the new target) takes this fraction of the work. */
  reworkFraction: number;
  /** Mean tokens per bead (input + output). */
  tokensPerBead: number;
  /** Chance a fresh change breaks the checks (0-1). */
  failureRate: number;
  /** Chance a session hangs partway (0-1). */
  stallRate: number;
}

export const DEFAULT_AGENT_MODEL: AgentModel = {
  workMedianMs: 30 * 60_000,
  workSpread: 0.35,
  reworkFraction: 0.25,
  tokensPerBead: 40_000,
  failureRate: 0.03,
  stallRate: 0.01,
};

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
    /** Median engine minutes one validation (the rig's checks) takes. */
    checkMinutes: z.number().min(0.05).max(240).default(1),
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

export interface Stat {
  mean: number | null;
  max: number | null;
  sample: number;
}

export interface LabFigures {
  attempts: number;
  merged: number;
  conflicts: number;
  rejected: number;
  escalated: number;
  /** Conflicts per merge attempt (0-1), null without attempts. */
  conflictRate: number | null;
  checkFailureRate: number | null;
  mergesPerHour: number;
  /** Minutes a landed request spent from first enqueue to landing. */
  timeInQueueMinutesP50: number | null;
  /** The deepest rig's merge queue, sampled over the run. */
  queueDepth: Stat & { end: number };
  /** Main Deacon loop cycle: the whole town when sequential, the hot tier when tiered. */
  patrolCycleMs: Stat;
  /** Engine ms between two patrols of the same hot rig (what gate evaluation waits on). */
  hotPatrolGapMs: Stat & { p95: number | null };
  stalls: number;
  throttled: number;
  tokens: number;
  /** Engine ms from dispatch to landing of the run's convoy; null without one or unlanded. */
  convoyLandedMs: number | null;
}

export interface LabSample {
  /** Virtual hours since the start. */
  hours: number;
  queueDepth: number;
  maxRigQueue: number;
  merged: number;
  conflictRate: number | null;
  working: number;
}

export interface LabResult {
  params: LabParams;
  figures: LabFigures;
  series: LabSample[];
  run: { wallMs: number; virtualHours: number; timersFired: number; gitOperations: number; polecats: number; rigs: number };
}

export interface Recorded {
  value: number | null;
  /** How many observations it rests on (a rate over 2 attempts is not a signal). */
  sample: number;
}

export interface Calibration {
  rig: string;
  params: LabParams;
  recorded: {
    workMinutes: Recorded;
    checkMinutes: Recorded;
    checkFailureRate: Recorded;
    conflictRate: Recorded;
    polecats: number;
    workers: number;
  };
  /** Conflict rate the calibrated model gives (null when there was nothing to fit). */
  fittedConflictRate: number | null;
  /** What the conflict rate was fitted to: the rig's recorded merges, or its replayed history (the lab's history curve). */
  fittedTo: 'events' | 'history' | null;
  notes: string[];
}

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

/** Where a running preview is: its runs so far (`steps` shrinks once the calibration's fit is done). */
export interface PreviewProgress {
  step: number;
  steps: number;
  label: string;
}

/**
 * `POST /api/lab/preview` with `accept: application/x-ndjson` answers one JSON line per
 * step and a last line with the preview or the error, so the page can show progress;
 * closing the request stops the work.
 */
export type PreviewLine =
  | ({ kind: 'progress' } & PreviewProgress)
  | { kind: 'done'; preview: Preview }
  | { kind: 'error'; status: number; error: { code: string; message: string } };
export const PREVIEW_STREAM_TYPE = 'application/x-ndjson';

export interface ScenarioRow {
  label: string;
  seedFigure: string;
  /** The headline figure, simulated (null when the run had no sample). */
  value: number | null;
  simulated: string;
  columns: Array<{ label: string; value: number | null; text: string }>;
  result: LabResult;
}

export interface ScenarioReport {
  scenario: { id: string; title: string; claim: string };
  metric: string;
  rows: ScenarioRow[];
  wallMs: number;
}

export interface ScenarioSummary {
  id: string;
  title: string;
  claim: string;
  variants: Array<{ label: string; seedFigure: string; params: unknown }>;
}
