/** Commands on a rig's Refinery: scale its workers, choose its merge mode and checks. */
import { z } from 'zod';
import { MAX_REFINERY_WORKERS } from '../../contracts/records';
import { line } from '../../contracts/text';
import { RigName } from './beads';
import { commandLine, requireExecutable } from '../agents/program';
import { defineCommand } from './command';

export const scaleRefinery = defineCommand({
  name: 'refinery.scale',
  summary: 'Set the number of Refinery workers of a rig (gt rig scale <rig> --refinery-workers N)',
  role: 'operator',
  input: z.strictObject({
    rig: RigName,
    workers: z
      .number({ error: 'workers must be a number' })
      .int('workers must be a whole number')
      .min(1, 'a Refinery needs at least 1 worker')
      .max(MAX_REFINERY_WORKERS, `at most ${MAX_REFINERY_WORKERS} Refinery workers`),
  }),
  run: ({ engine }, input, actor) => {
    const rig = engine.rigs.setRefineryWorkers(input.rig, input.workers, actor.name);
    return { rig: rig.name, refineryWorkers: rig.settings.refineryWorkers };
  },
});

const Check = z.strictObject({
  name: line({ max: 60, min: 1, trim: true }),
  command: commandLine('a check needs a program to run'),
  timeoutMs: z.number().int().min(100).max(3_600_000),
});
const Checks = z
  .array(Check)
  .max(10)
  .refine((checks) => new Set(checks.map((c) => c.name)).size === checks.length, { message: 'check names must be unique' });

/** A path inside the repository, as git names it: relative, no `.`/`..` segments, no pathspec magic. */
const RepositoryPath = line({ max: 200, min: 1 }).refine(
  (p) =>
    !/^[-:/]/.test(p) &&
    !p.endsWith('/') &&
    p.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..'),
  { message: 'a setup input is a path inside the repository, e.g. package-lock.json' },
);

/** The setup step (e.g. `npm ci`): null removes it. */
const Setup = z
  .strictObject({
    command: commandLine('a setup needs a program to run'),
    timeoutMs: z.number().int().min(1_000).max(3_600_000),
    /** Lockfiles: the setup runs again when one of them changes. */
    inputs: z
      .array(RepositoryPath)
      .max(20)
      .refine((inputs) => new Set(inputs).size === inputs.length, { message: 'setup inputs must be unique' }),
  })
  .nullable();

/** Said in the answer to a request that still names the checks `gates`. */
export const GATES_DEPRECATION = "'gates' is now 'checks'; 'gates' will be removed";

export const configureRefinery = defineCommand({
  name: 'refinery.configure',
  summary:
    "Change a rig's merge mode (speculative or batch), batch size, checks (validation commands), setup step (e.g. npm ci) or retry cap",
  role: 'operator',
  input: z
    .strictObject({
      rig: RigName,
      mergeMode: z.enum(['speculative', 'batch']).optional(),
      batchSize: z.number().int().min(2).max(32).optional(),
      checks: Checks.optional(),
      setup: Setup.optional(),
      /** The checks' first name, accepted for now (the answer carries a deprecation). */
      gates: Checks.optional(),
      maxAttempts: z.number().int().min(1).max(20).optional(),
    })
    .refine((v) => Object.keys(v).length > 1, { message: 'nothing to change' })
    .refine((v) => v.checks === undefined || v.gates === undefined, {
      message: "give 'checks' or the deprecated 'gates', not both",
      path: ['gates'],
    }),
  run: async ({ engine }, { rig, gates, ...patch }) => {
    const checks = patch.checks ?? gates;
    const field = patch.checks ? 'checks' : 'gates';
    // Checks are validated like agent commands (agents/program.ts): before anything changes.
    for (const [i, check] of (checks ?? []).entries()) await requireExecutable(`${field}.${i}.command.0`, check.command[0]);
    if (patch.setup) await requireExecutable('setup.command.0', patch.setup.command[0]);
    const updated = engine.rigs.updateSettings(rig, checks === undefined ? patch : { ...patch, checks });
    return {
      rig: updated.name,
      settings: updated.settings,
      ...(gates === undefined ? {} : { deprecations: [GATES_DEPRECATION] }),
    };
  },
});
