/** Cluster commands (docs/cluster.md): moving a rig to another node. */
import { z } from 'zod';
import { EngineError } from '../engine/errors';
import { RigName } from './beads';
import { defineCommand } from './command';

import { NodeName } from './node-name';

export const MoveRigInput = z.strictObject({ rig: RigName, node: NodeName });

export const moveRig = defineCommand({
  name: 'rig.move',
  summary: 'Move a rig to another node of the cluster: drained here, its lease handed over, attached there (gt rig move)',
  role: 'operator',
  input: MoveRigInput,
  run: async ({ cluster }, { rig, node }) => {
    // A 409, not a 503: the server is fine, the request does not fit how it runs.
    if (!cluster) throw new EngineError('conflict', 'this server is not a cluster node (GT_CLUSTER=1, docs/cluster.md)');
    return cluster.moveRig(rig, node);
  },
});
