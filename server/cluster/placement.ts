/**
 * Where a new rig goes in a cluster (docs/cluster.md, "Placing new rigs"): on the live node
 * running the fewest polecats, counted from the store over the rigs each node holds a live
 * lease on. A tie goes to the node asked (nothing to move), then by name. Pure.
 */
import { conflict, notFound } from '../engine/errors';
import { isLive } from '../engine/lease';
import type { NodeRecord, RigLease } from '../engine/ports';

export interface PlacementInput {
  /** The node the request reached. */
  self: string;
  nodes: readonly NodeRecord[];
  leases: readonly RigLease[];
  /** Polecats per stored rig. */
  polecats: Readonly<Record<string, number>>;
  /** Database time. */
  now: number;
  /** `--node`: the operator's choice, checked (known and alive) instead of chosen. */
  asked?: string;
}

/** Polecats each live node runs now. */
export function polecatsByNode(input: Omit<PlacementInput, 'asked' | 'self'>): Map<string, number> {
  const load = new Map<string, number>();
  for (const n of input.nodes) if (input.now - n.heartbeatAt < n.ttlMs) load.set(n.name, 0);
  for (const lease of input.leases) {
    if (!isLive(lease, input.now) || !load.has(lease.owner!)) continue;
    load.set(lease.owner!, load.get(lease.owner!)! + (input.polecats[lease.rig] ?? 0));
  }
  return load;
}

/** The node the new rig goes to. Throws 404 for an unknown `asked` node and 409 for a dead one. */
export function placeRig(input: PlacementInput): string {
  const load = polecatsByNode(input);
  if (input.asked !== undefined) {
    if (!input.nodes.some((n) => n.name === input.asked)) throw notFound('node', input.asked);
    if (!load.has(input.asked)) throw conflict(`node '${input.asked}' is not alive: place the rig on a live node`);
    return input.asked;
  }
  load.set(input.self, load.get(input.self) ?? 0); // the node asked runs, whatever its row says yet
  return [...load].sort(
    ([a, x], [b, y]) => x - y || Number(b === input.self) - Number(a === input.self) || (a < b ? -1 : 1),
  )[0][0];
}
