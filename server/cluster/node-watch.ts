/**
 * The leader's watch on the other nodes (docs/cluster.md, "A node down"): which nodes went
 * dead while holding rigs, and who owns those rigs now. Pure: one `watchNodes` step per
 * heartbeat, from the nodes and leases the database has.
 *
 *   a node seen alive with rigs, then dead    -> down (its rigs listed, with their owners now)
 *   down for `holdMs` or more, and every one  -> settled: kept for one more step, so the
 *   of its rigs owned again by a live node        alert's resolution names the new owners
 *   down, and the node is back                -> settled
 *   settled                                   -> forgotten
 *
 * `holdMs` (the lease TTL): a down node's rigs are often claimed on the very heartbeat that
 * finds it dead, and when the dead node was the leader, the next leader takes its lease up to a
 * heartbeat later; an episode lasting a TTL is one the new leader surely evaluates.
 *
 * `nodes_down` (the metric the node-down rule watches) counts the nodes down and not settled.
 */
import { isLive } from '../engine/lease';
import type { NodeRecord, RigLease } from '../engine/ports';

export interface NodeDown {
  node: string;
  /** Database time it was found dead. */
  since: number;
  /** The rigs it held when last seen alive, and each one's live owner now (null: none yet). */
  rigs: Array<{ rig: string; owner: string | null }>;
  /** Back, or all its rigs owned again: the alert clears on this step. */
  settled: boolean;
}

export interface NodeWatch {
  /** Rigs each node held at its last step alive. */
  held: Record<string, string[]>;
  down: NodeDown[];
}

export const EMPTY_WATCH: NodeWatch = { held: {}, down: [] };

/**
 * The watch a node starts from, read from the store rather than from what it saw: a
 * registered node that is dead and still holds leases (expired, not released: it never
 * stopped cleanly) counts as last seen holding them, so the first step finds it down even
 * though it died before this node started. A clean stop released its leases: not down.
 */
export function seedWatch(nodes: readonly NodeRecord[], leases: readonly RigLease[], now: number): NodeWatch {
  const held: Record<string, string[]> = {};
  for (const node of nodes) {
    if (now - node.heartbeatAt < node.ttlMs) continue;
    const rigs = leases.filter((l) => l.owner === node.name).map((l) => l.rig);
    if (rigs.length > 0) held[node.name] = rigs.sort();
  }
  return { held, down: [] };
}

export function watchNodes(
  prev: NodeWatch,
  nodes: readonly NodeRecord[],
  leases: readonly RigLease[],
  now: number,
  holdMs: number,
): NodeWatch {
  const alive = new Set(nodes.filter((n) => now - n.heartbeatAt < n.ttlMs).map((n) => n.name));
  const ownerOf = (rig: string) => {
    const lease = leases.find((l) => l.rig === rig);
    return lease && isLive(lease, now) && alive.has(lease.owner!) ? lease.owner : null;
  };
  const held: Record<string, string[]> = {};
  for (const node of alive) {
    held[node] = leases
      .filter((l) => l.owner === node && isLive(l, now))
      .map((l) => l.rig)
      .sort();
  }
  const down: NodeDown[] = [];
  const watched = new Set<string>();
  for (const d of prev.down) {
    if (d.settled) continue;
    watched.add(d.node);
    const rigs = d.rigs.map(({ rig }) => ({ rig, owner: ownerOf(rig) }));
    const owned = rigs.every((r) => r.owner !== null) && now - d.since >= holdMs;
    down.push({ node: d.node, since: d.since, rigs, settled: alive.has(d.node) || owned });
  }
  for (const [node, rigs] of Object.entries(prev.held)) {
    if (alive.has(node) || watched.has(node) || rigs.length === 0) continue;
    if (!nodes.some((n) => n.name === node)) continue;
    down.push({ node, since: now, rigs: rigs.map((rig) => ({ rig, owner: ownerOf(rig) })), settled: false });
  }
  // A node that died is kept in `held` with what it had, until its episode is over.
  for (const d of down) if (!d.settled) held[d.node] = d.rigs.map((r) => r.rig);
  return { held, down };
}

/** Dead nodes whose rigs are not all owned again (the metric `nodes_down`). */
export function nodesDown(watch: NodeWatch): number {
  return watch.down.filter((d) => !d.settled).length;
}

/** One line for the alert: "node-b is down; its rigs: beta → node-a, delta → no owner yet". */
export function describeNodesDown(watch: NodeWatch): string | null {
  if (watch.down.length === 0) return null;
  return watch.down
    .map((d) => {
      const rigs = d.rigs.map((r) => `${r.rig} → ${r.owner ?? 'no owner yet'}`).join(', ');
      return `node ${d.node} is down; its rigs: ${rigs}`;
    })
    .join('; ');
}
