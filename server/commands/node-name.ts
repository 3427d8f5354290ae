/** A cluster node's name in command input (rig.move, rig.add --node), as GT_NODE takes it (server/config.ts). */
import { line } from '../../contracts/text';

export const NodeName = line({ max: 63, min: 1, minMessage: 'a node name is required' }).regex(
  /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  'a node name is letters, digits, dots, dashes or underscores',
);
