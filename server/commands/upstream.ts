/** Commands on a rig's upstream: fetch it now; how often it is fetched and whether polecat branches are pushed. */
import { z } from 'zod';
import { conflict } from '../engine/errors';
import { RigName } from './beads';
import { defineCommand } from './command';

export const fetchRig = defineCommand({
  name: 'rig.fetch',
  summary: "Fetch a rig's upstream now and move its target onto it (gt rig fetch <rig>)",
  role: 'operator',
  input: z.strictObject({ rig: RigName }),
  run: ({ engine }, { rig }) => engine.rigs.fetch(rig),
});

export const configureUpstream = defineCommand({
  name: 'rig.upstream',
  summary: 'How a rig landing upstream follows it: the fetch interval, and pushing polecat branches for review',
  role: 'operator',
  input: z
    .strictObject({
      rig: RigName,
      fetchIntervalMs: z
        .number({ error: 'fetchIntervalMs must be a number' })
        .int('fetchIntervalMs must be a whole number')
        .min(5_000, 'fetch at most every 5 s')
        .max(86_400_000, 'fetch at least once a day')
        .optional(),
      pushBranches: z.boolean({ error: 'pushBranches must be true or false' }).optional(),
    })
    .refine((v) => Object.keys(v).length > 1, { message: 'nothing to change' }),
  run: ({ engine }, { rig, ...patch }) => {
    const { settings } = engine.rigs.require(rig);
    if (settings.landing !== 'upstream') throw conflict(`rig '${rig}' lands locally: it has no upstream to follow`);
    const updated = engine.rigs.updateSettings(rig, patch);
    return { rig, fetchIntervalMs: updated.settings.fetchIntervalMs, pushBranches: updated.settings.pushBranches };
  },
});
