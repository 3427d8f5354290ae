/** Commands that add and reshape rigs: add one from a git URL, split one into path partitions, merge partitions back. */
import { z } from 'zod';
import { BranchName, GitUrl, MAX_BRANCH_LENGTH, MAX_GIT_URL_LENGTH } from '../../contracts/git-url';
import { line, TEXT_LIMITS } from '../../contracts/text';
import { EngineError } from '../engine/errors';
import { RigName } from './beads';
import { NodeName } from './node-name';
import { defineCommand } from './command';

/** What rig.add takes: the URL and branch pass the text rule, then the git rules (contracts/git-url.ts). */
export const AddRigInput = z.strictObject({
  name: RigName,
  url: line({ max: MAX_GIT_URL_LENGTH, min: 1, minMessage: 'a repository URL or path is required' }).pipe(GitUrl),
  branch: line({ max: MAX_BRANCH_LENGTH, min: 1, minMessage: 'a branch name is required' }).pipe(BranchName).optional(),
  local: z.boolean().default(false),
  polecats: z.number().int('polecat counts are whole numbers').min(0).max(50).default(0),
  /** A cluster's node to run it (`--node`); default: the live node with the fewest polecats. */
  node: NodeName.optional(),
});

export const addRig = defineCommand({
  name: 'rig.add',
  summary: "Add a rig: clone a repository's upstream and put polecats to work on it (gt rig add)",
  role: 'operator',
  input: AddRigInput,
  run: async ({ rigCloner, cluster }, { node, ...input }) => {
    if (!rigCloner) throw new EngineError('unavailable', 'adding rigs from a URL is not set up in this process');
    if (node !== undefined && !cluster)
      throw new EngineError(
        'conflict',
        'this server is not a cluster node (GT_CLUSTER=1, docs/cluster.md): --node does not apply',
      );
    await cluster?.checkNewRigName(input.name); // before anything is cloned
    const target = cluster ? await cluster.placeNewRig(node) : null;
    const rig = await rigCloner.add(input);
    // Created here (its lease epoch 1 is this node's), then handed over like gt rig move.
    if (cluster && target !== null && target !== cluster.node) await cluster.moveRig(rig.name, target);
    return cluster ? { ...rig, node: target } : rig;
  },
});

const Glob = line({ max: TEXT_LIMITS.path, min: 1, minMessage: 'a glob cannot be empty' });

/** A split request (also what the preview takes). The engine checks globs against the repository. */
export const SplitInput = z.strictObject({
  rig: RigName,
  partitions: z
    .array(z.strictObject({ name: RigName, globs: z.array(Glob).max(50, 'at most 50 globs per partition') }))
    .min(1, 'name at least one partition')
    .max(16, 'at most 16 partitions'),
  remainder: RigName.optional(),
  /** A partition's name, or `stay`: the rig stays as the integration rig for spanning work. */
  spanning: z.union([z.literal('stay'), RigName]).optional(),
  polecats: z.record(RigName, z.number().int('polecat counts are whole numbers').min(0).max(50)).optional(),
});

export type SplitInput = z.output<typeof SplitInput>;

export const splitRig = defineCommand({
  name: 'rig.split',
  summary: 'Split a rig into path partitions, each with its own Refinery, Witness and merge queue (gt rig split)',
  role: 'operator',
  input: SplitInput,
  run: ({ engine }, { rig, ...request }, actor) => engine.rigs.split(rig, request, actor.name),
});

export const mergeRig = defineCommand({
  name: 'rig.merge',
  summary: "Merge a split rig's partitions back into it, with their work and polecats (gt rig merge)",
  role: 'operator',
  input: z.strictObject({ rig: RigName }),
  run: ({ engine }, { rig }, actor) => engine.rigs.merge(rig, actor.name),
});

export const removeRig = defineCommand({
  name: 'rig.remove',
  summary:
    'Remove a rig: refused while work is in flight unless drain; worktrees go, history stays, the repository stays unless purge (gt rig remove)',
  role: 'operator',
  input: z.strictObject({ rig: RigName, drain: z.boolean().default(false), purge: z.boolean().default(false) }),
  run: async ({ engine, rigCloner }, { rig, drain, purge }, actor) => {
    const { repoPath } = engine.rigs.require(rig);
    // Checked before anything changes: only a clone gt rig add made may be deleted.
    if (purge && !rigCloner?.owns(repoPath))
      throw new EngineError('invalid', `rig '${rig}' was not cloned by gt rig add; its repository ${repoPath} is never purged`);
    const removed = await engine.rigs.remove(rig, { drain }, actor.name);
    if (purge) await rigCloner!.purge(repoPath);
    return { ...removed, purged: purge };
  },
});
