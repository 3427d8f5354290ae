/** Commands on a rig's Refinery: scale its workers, choose its merge mode and gates. */
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

const Gate = z.strictObject({
  name: line({ max: 60, min: 1, trim: true }),
  command: commandLine('a gate needs a program to run'),
  timeoutMs: z.number().int().min(100).max(3_600_000),
});

export const configureRefinery = defineCommand({
  name: 'refinery.configure',
  summary: "Change a rig's merge mode (speculative or batch), batch size, validation gates or retry cap",
  role: 'operator',
  input: z
    .strictObject({
      rig: RigName,
      mergeMode: z.enum(['speculative', 'batch']).optional(),
      batchSize: z.number().int().min(2).max(32).optional(),
      gates: z.array(Gate).max(10).optional(),
      maxAttempts: z.number().int().min(1).max(20).optional(),
    })
    .refine((v) => Object.keys(v).length > 1, { message: 'nothing to change' })
    .refine((v) => !v.gates || new Set(v.gates.map((g) => g.name)).size === v.gates.length, {
      message: 'gate names must be unique',
      path: ['gates'],
    }),
  run: async ({ engine }, { rig, ...patch }) => {
    // Checks are validated like agent commands (agents/program.ts): before anything changes.
    for (const [i, gate] of (patch.gates ?? []).entries()) await requireExecutable(`gates.${i}.command.0`, gate.command[0]);
    const updated = engine.rigs.updateSettings(rig, patch);
    return { rig: updated.name, settings: updated.settings };
  },
});
