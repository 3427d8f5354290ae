/** Commands on beads and convoys. */
import { z } from 'zod';
import { id, line, text, TEXT_LIMITS } from '../../contracts/text';
import { importBeadsFile } from '../beads/transfer';
import { MAX_IMPORT_BODY_BYTES } from '../http/limits';
import { defineCommand } from './command';

/** A repository-relative path prefix or glob; never absolute, never climbing out. */
export const RepoPath = line({ max: TEXT_LIMITS.path, min: 1 }).refine(
  (p) => !p.startsWith('/') && !p.split('/').includes('..'),
  {
    message: 'must be a path inside the repository (no leading /, no ..)',
  },
);

export const RigName = line({ max: 40 }).regex(
  /^[a-z0-9][a-z0-9-]{0,39}$/,
  'rig names are lower-case letters, digits and dashes',
);

/** A bead's title, as bead.create and convoy.create take it. */
export const BeadTitle = line({ max: TEXT_LIMITS.title, min: 1, minMessage: 'a bead needs a title', trim: true });
export const BeadDescription = text({ max: TEXT_LIMITS.description });
export const BeadLabel = line({ max: TEXT_LIMITS.label, min: 1 });
export const BeadId = id(40);

const BeadInput = z.strictObject({
  /** Omitted: the Mayor routes the bead to the rig whose scope owns its paths. */
  rig: RigName.optional(),
  title: BeadTitle,
  description: BeadDescription.default(''),
  priority: z.number().int().min(0).max(4).default(2),
  labels: z.array(BeadLabel).max(20).default([]),
  dependsOn: z.array(BeadId).max(50).default([]),
  paths: z.array(RepoPath).max(50).default([]),
});

export const createBead = defineCommand({
  name: 'bead.create',
  summary: 'Create a bead (a unit of work) on a rig',
  role: 'operator',
  input: BeadInput,
  run: ({ engine }, { rig, ...input }) => engine.beads.create({ ...input, rig: rig ?? engine.beads.route(input.paths) }),
});

export const importBeads = defineCommand({
  name: 'bead.import',
  summary: 'Import beads from a .beads/issues.jsonl file, ids kept; all or nothing, idempotent (bd import)',
  role: 'operator',
  input: z.strictObject({
    /** The file's text; its lines are checked by the interchange parser (server/beads/interchange.ts). */
    jsonl: z.string({ error: 'jsonl is the text of an issues.jsonl file' }).max(MAX_IMPORT_BODY_BYTES, 'the file is too large'),
    /** Where new beads go; needed when the town has more than one rig. */
    rig: RigName.optional(),
  }),
  run: ({ engine }, { jsonl, rig }) => importBeadsFile(engine, jsonl, rig),
});
