/**
 * Commands on a rig's agents: which runtime runs its beads (the scripted agent, a preset
 * CLI or a custom command), how many run at once, and how long one may take. Bad settings
 * (an unknown preset, an empty command, a program outside the rig, a missing program)
 * are refused before anything changes.
 */
import { z } from 'zod';
import { AGENT_PRESETS, type AgentSpec } from '../../contracts/records';
import { describeAgent, unknownPlaceholders, PLACEHOLDERS } from '../agents/presets';
import { commandLine, ProgramArg, requireExecutable } from '../agents/program';
import { line } from '../../contracts/text';
import { RigName } from './beads';
import { defineCommand } from './command';

const Model = line({ max: 100 }).regex(
  /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,99}$/,
  'a model is a name like claude-sonnet-4-5 or openai/gpt-5',
);

const placeholdersKnown = (args: string[], ctx: z.RefinementCtx, where: string) => {
  const unknown = unknownPlaceholders(args);
  if (unknown.length > 0)
    ctx.addIssue({
      code: 'custom',
      path: [where],
      message: `unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')}; known: ${PLACEHOLDERS.map((n) => `{${n}}`).join(' ')}`,
    });
};

export const AgentSpecInput = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('scripted') }),
    z
      .strictObject({
        kind: z.literal('preset'),
        preset: z.enum(AGENT_PRESETS, { error: `unknown preset; the presets are ${AGENT_PRESETS.join(', ')}` }),
        model: Model.optional(),
        args: z.array(ProgramArg).max(32).optional(),
      })
      .superRefine((v, ctx) => placeholdersKnown(v.args ?? [], ctx, 'args')),
    z
      .strictObject({
        kind: z.literal('command'),
        command: commandLine('the command is empty: give the program and its arguments'),
      })
      .superRefine((v, ctx) => placeholdersKnown(v.command, ctx, 'command')),
  ],
  { error: 'agent.kind is one of scripted, preset, command' },
);

/** An absolute program must be there and executable now, not fail on every bead later. */
async function checkProgram(spec: AgentSpec): Promise<void> {
  if (spec.kind === 'command') await requireExecutable('agent.command.0', spec.command[0]);
}

export const configureAgents = defineCommand({
  name: 'agent.configure',
  summary: "Choose a rig's agent runtime (scripted, a preset CLI or a command), its max concurrency and timeout",
  role: 'operator',
  input: z
    .strictObject({
      rig: RigName,
      agent: AgentSpecInput.optional(),
      maxConcurrency: z
        .number({ error: 'maxConcurrency must be a number' })
        .int('maxConcurrency must be a whole number')
        .min(1, 'maxConcurrency must be at least 1')
        .max(200, 'maxConcurrency must be at most 200')
        .nullable()
        .optional(),
      timeoutMs: z
        .number({ error: 'timeoutMs must be a number of milliseconds' })
        .int()
        .min(1_000, 'timeoutMs must be at least 1000 ms')
        .max(24 * 3_600_000, 'timeoutMs must be at most 24 hours')
        .optional(),
    })
    .refine((v) => Object.keys(v).length > 1, { message: 'nothing to change' }),
  run: async ({ engine }, { rig, agent, maxConcurrency, timeoutMs }) => {
    engine.rigs.require(rig);
    if (agent) await checkProgram(agent);
    const updated = engine.rigs.updateSettings(rig, {
      ...(agent ? { agent } : {}),
      ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
      ...(timeoutMs !== undefined ? { agentTimeoutMs: timeoutMs } : {}),
    });
    const { settings } = updated;
    return {
      rig,
      agent: settings.agent,
      description: describeAgent(settings.agent),
      maxConcurrency: settings.maxConcurrency,
      timeoutMs: settings.agentTimeoutMs,
    };
  },
});
