/**
 * A split request checked the way `rig.split` checks it, for the split preview: the
 * dry run refuses what the split itself would refuse. The read side (server/queries) is
 * given this parser by the composition root rather than importing the commands.
 */
import { EngineError } from '../engine/errors';
import type { SplitRequest } from '../engine/split';
import { describeIssues } from './command';
import { SplitInput } from './rigs';

/** Parses a split body for `rig`; throws an `invalid` EngineError naming every problem. */
export function parseSplitRequest(rig: string, input: unknown): SplitRequest {
  const parsed = SplitInput.safeParse(typeof input === 'object' && input !== null ? { ...input, rig } : input);
  if (!parsed.success) throw new EngineError('invalid', describeIssues(parsed.error), parsed.error.issues);
  const { rig: _rig, ...request } = parsed.data;
  return request;
}
