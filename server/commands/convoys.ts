/** Commands on convoys and their waves, bead dependencies, budgets and provider limits. */
import { z } from 'zod';
import { id, line, TEXT_LIMITS } from '../../contracts/text';
import { BeadDescription, BeadId, BeadLabel, BeadTitle, RepoPath, RigName } from './beads';
import { defineCommand } from './command';

const ConvoyId = id(40);

const WaveSize = z.union([
  z.literal('auto'),
  z
    .number({ error: "a wave size is a whole number or 'auto'" })
    .int('a wave size must be a whole number')
    .min(1, 'a wave size must be at least 1'),
]);

const ConvoyBead = z.strictObject({
  title: BeadTitle,
  description: BeadDescription.default(''),
  rig: RigName.optional(),
  priority: z.number().int().min(0).max(4).default(2),
  labels: z.array(BeadLabel).max(20).default([]),
  dependsOn: z.array(BeadId).max(50).default([]),
  paths: z.array(RepoPath).max(50).default([]),
});

export const createConvoy = defineCommand({
  name: 'convoy.create',
  summary: 'Create a convoy of beads; dispatched at once unless hold is set',
  role: 'operator',
  input: z.strictObject({
    title: line({ max: TEXT_LIMITS.title, min: 1, minMessage: 'a convoy needs a title', trim: true }),
    beads: z.array(ConvoyBead).min(1, 'a convoy needs at least one bead').max(500),
    hold: z.boolean().default(false),
  }),
  run: ({ engine }, input, actor) => {
    const beads = input.beads.map(({ rig, ...b }) => ({ ...b, rig: rig ?? engine.beads.route(b.paths) }));
    return engine.convoys.create(input.title, beads, { hold: input.hold, by: actor.name });
  },
});

export const dispatchConvoy = defineCommand({
  name: 'convoy.dispatch',
  summary: "Dispatch a held convoy: all at once (waveSize null) or in waves of N ('auto' suggests N)",
  role: 'operator',
  input: z.strictObject({ id: ConvoyId, waveSize: WaveSize.nullable().default(null) }),
  run: ({ engine }, { id, waveSize }, actor) => engine.convoys.dispatch(id, waveSize, actor.name),
});

export const staggerConvoy = defineCommand({
  name: 'convoy.stagger',
  summary: "Re-plan a convoy's undispatched beads into waves of N (gt convoy stagger <id> --wave-size N)",
  role: 'operator',
  input: z.strictObject({ id: ConvoyId, waveSize: WaveSize }),
  run: ({ engine }, { id, waveSize }, actor) => engine.convoys.stagger(id, waveSize, actor.name),
});

export const addToConvoy = defineCommand({
  name: 'convoy.add',
  summary: 'Add open beads to a convoy',
  role: 'operator',
  input: z.strictObject({ id: ConvoyId, beads: z.array(BeadId).min(1).max(500) }),
  run: ({ engine }, { id, beads }) => engine.convoys.add(id, beads),
});

export const removeFromConvoy = defineCommand({
  name: 'convoy.remove',
  summary: 'Take a bead that has not started out of a convoy',
  role: 'operator',
  input: z.strictObject({ id: ConvoyId, bead: BeadId }),
  run: ({ engine }, { id, bead }) => engine.convoys.remove(id, bead),
});

export const closeBead = defineCommand({
  name: 'bead.close',
  summary: 'Close a bead that will not be done (bd close)',
  role: 'operator',
  input: z.strictObject({ id: BeadId }),
  run: ({ engine }, { id }) => engine.beads.close(id),
});

export const dependBead = defineCommand({
  name: 'bead.depend',
  summary: 'Make a bead wait for others (refused if it would make a cycle)',
  role: 'operator',
  input: z.strictObject({ id: BeadId, on: z.array(BeadId).min(1).max(50) }),
  run: ({ engine }, { id, on }) => engine.beads.addDependencies(id, on),
});

const Usd = z.number({ error: 'an amount in USD' }).min(0, 'an amount cannot be negative').max(1_000_000);

export const setBudget = defineCommand({
  name: 'costs.budget',
  summary: 'Set the daily budget and the spend at which its alert fires (gt costs --alert-threshold)',
  role: 'operator',
  input: z
    .strictObject({ dailyBudgetUsd: Usd.nullable().optional(), alertThresholdUsd: Usd.nullable().optional() })
    .refine((v) => v.dailyBudgetUsd !== undefined || v.alertThresholdUsd !== undefined, { message: 'nothing to change' }),
  run: ({ engine }, input, actor) => {
    const settings = engine.updateSettings(
      {
        ...(input.dailyBudgetUsd !== undefined ? { dailyBudgetUsd: input.dailyBudgetUsd } : {}),
        ...(input.alertThresholdUsd !== undefined ? { budgetAlertUsd: input.alertThresholdUsd } : {}),
      },
      actor.name,
    );
    return { dailyBudgetUsd: settings.dailyBudgetUsd, alertThresholdUsd: settings.budgetAlertUsd };
  },
});

export const limitProvider = defineCommand({
  name: 'providers.limit',
  summary: "Set an API provider's limits: concurrent sessions and tokens per minute (null: unlimited)",
  role: 'operator',
  input: z.strictObject({
    provider: line({ max: 40 }).regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a provider name such as anthropic or openai'),
    maxSessions: z.number().int().min(1).max(10_000).nullable(),
    tokensPerMinute: z.number().int().min(1).max(1_000_000_000).nullable(),
  }),
  run: ({ engine }, { provider, ...limits }, actor) => {
    const settings = engine.updateSettings({ providers: { ...engine.settings.providers, [provider]: limits } }, actor.name);
    return { provider, ...settings.providers[provider] };
  },
});
