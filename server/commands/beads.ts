/** Commands on beads and convoys. */
import { z } from 'zod';
import { defineCommand } from './command';

/** A repository-relative path prefix or glob; never absolute, never climbing out. */
export const RepoPath = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'), {
    message: 'must be a path inside the repository (no leading /, no ..)',
  });

export const RigName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'rig names are lower-case letters, digits and dashes');

const BeadInput = z.strictObject({
  /** Omitted: the Mayor routes the bead to the rig whose scope owns its paths. */
  rig: RigName.optional(),
  title: z.string().trim().min(1, 'a bead needs a title').max(200),
  description: z.string().max(20_000).default(''),
  priority: z.number().int().min(0).max(4).default(2),
  labels: z.array(z.string().min(1).max(50)).max(20).default([]),
  dependsOn: z.array(z.string().min(1).max(40)).max(50).default([]),
  paths: z.array(RepoPath).max(50).default([]),
});

export const createBead = defineCommand({
  name: 'bead.create',
  summary: 'Create a bead (a unit of work) on a rig',
  role: 'operator',
  input: BeadInput,
  run: ({ engine }, { rig, ...input }) => engine.beads.create({ ...input, rig: rig ?? engine.beads.route(input.paths) }),
});
