/** Commands on polecats. */
import { z } from 'zod';
import { defineCommand } from './command';
import { RigName } from './beads';

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
