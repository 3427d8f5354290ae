/** Commands on polecats. */
import { z } from 'zod';
import { defineCommand } from './command';
import { BeadId, RigName } from './beads';
import { line } from '../../contracts/text';

const PolecatName = line({ max: 40 }).regex(
  /^[a-z0-9][a-z0-9-]{0,39}$/,
  'a polecat name is lower-case letters, digits and dashes',
);

export const addPolecats = defineCommand({
  name: 'polecat.add',
  summary: 'Add polecats (each with its own worktree) to a rig',
  role: 'operator',
  input: z.strictObject({ rig: RigName, count: z.number().int().min(1).max(50) }),
  run: async ({ engine }, input) => {
    const added = await engine.polecats.add(input.rig, input.count);
    return { added: added.map((p) => p.id) };
  },
});

export const removePolecat = defineCommand({
  name: 'polecat.remove',
  summary: 'Remove a polecat and its worktree: idle at once, busy after its bead; force returns the bead to the queue',
  role: 'operator',
  input: z.strictObject({ rig: RigName, name: PolecatName, force: z.boolean().default(false) }),
  run: ({ engine }, { rig, name, force }, actor) => engine.polecats.remove(`${rig}/${name}`, { force }, actor.name),
});

export const slingBead = defineCommand({
  name: 'bead.sling',
  summary: 'Dispatch a ready bead now, to a rig or one of its idle polecats (gt sling)',
  role: 'operator',
  input: z.strictObject({ bead: BeadId, rig: RigName, polecat: PolecatName.optional() }),
  run: ({ engine }, { bead, rig, polecat }) => {
    const { bead: b, polecat: p } = engine.mayor.sling(bead, polecat ? { polecat: `${rig}/${polecat}` } : { rig });
    return { bead: b.id, rig: p.rig, polecat: p.id };
  },
});
