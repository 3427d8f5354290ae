/**
 * The split preview as the rig page shows it: the engine's dry-run plan plus the
 * before/after partition diagrams. Nothing here changes state.
 */
import path from 'node:path';
import type { SplitPreview, SuggestedSplit } from '../../contracts/split';
import type { SplitRequest } from '../engine/split';
import type { Town } from '../engine/town';
import { describeScope, partitionDiagram, type PartitionNode } from './diagrams';

/** The dry run of a split request (already validated, see commands/split-request.ts). */
export async function splitPreview(town: Town, rigName: string, request: SplitRequest): Promise<SplitPreview> {
  const plan = await town.rigs.planSplit(rigName, request);
  const rig = town.rigs.get(rigName)!;
  const target = `${path.basename(rig.repoPath)} ${rig.targetBranch}`;
  const before: PartitionNode = {
    name: rig.name,
    scope: describeScope(rig.settings.scope, rig.settings.scopeExclude),
    polecats: plan.before.polecats,
    workers: rig.settings.refineryWorkers,
    queueDepth: plan.before.queueDepth,
    state: rig.status === 'parked' ? 'parked' : 'active',
    target,
  };
  const after = plan.partitions.map((p): PartitionNode => ({
    name: p.name,
    scope: describeScope(p.scope, p.scopeExclude),
    polecats: p.polecats,
    workers: rig.settings.refineryWorkers,
    queueDepth: p.queueDepth,
    state: p.role === 'integration' ? 'integration' : 'new',
    target,
  }));
  return { plan, diagram: { before: partitionDiagram([before]), after: partitionDiagram(after) } };
}

export function splitSuggestion(town: Town, rig: string): Promise<SuggestedSplit> {
  return town.rigs.suggestSplit(rig);
}
