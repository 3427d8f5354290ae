/**
 * The cluster as GET /api/cluster and `gt cluster status --json` show it (docs/cluster.md):
 * the nodes, alive or not, the rigs each owns by lease, and the leases' epochs.
 */
import type { RigView } from './town';

/** One rig's lease. `epoch` is the fencing token; null in single-server mode (no leases). */
export interface ClusterLeaseView {
  rig: string;
  owner: string | null;
  epoch: number | null;
  /** Until the lease lapses without renewal (negative: lapsed); null without leases. */
  expiresInMs: number | null;
  /** Held by a node right now (owner set and not expired). */
  live: boolean;
}

export interface ClusterNodeView {
  name: string;
  url: string | null;
  /** The node answering this request. */
  self: boolean;
  /** Heartbeat within the lease TTL. */
  alive: boolean;
  /** Database-clock ms. */
  startedAt: number;
  heartbeatAgeMs: number;
  /** The rigs this node holds a live lease on. */
  rigs: ClusterLeaseView[];
}

/** Who runs the town-wide duties (alert evaluation and posting, the town's series, the node watch). */
export interface ClusterLeaderView {
  /** The node holding the leader lease; null while none holds it live (a failover under way). */
  node: string | null;
  /** The leader lease's epoch (null on one server: nothing is leased). */
  epoch: number | null;
  /** The node answering is the leader. */
  self: boolean;
}

export interface ClusterView {
  /** `single`: one server owns every rig, nothing is leased (the default). */
  mode: 'single' | 'cluster';
  /** The node answering. */
  node: string;
  heartbeatMs: number | null;
  leaseTtlMs: number | null;
  /** Rigs in the answering node's memory (attached to its engine). */
  attached: string[];
  /** Writes this node had refused by a lease fence since it started. */
  fencedWrites: number;
  /** Rigs this node lost to another (a renewal or a write refused) since it started. */
  losses: number;
  leader: ClusterLeaderView;
  nodes: ClusterNodeView[];
  /** Stored rigs no node holds a live lease on (waiting for a claim). */
  unowned: ClusterLeaseView[];
}

/** A rig of the town no node could answer for just now, and why (its owner dead, its lease lapsed, ...). */
export interface UnavailableRigView {
  name: string;
  /** The node holding or last holding its lease; null when none does. */
  node: string | null;
  reason: string;
}

/**
 * GET /api/rigs: every rig of the town, each as the node that runs it sees it, with that
 * node's name; the same on every node (docs/cluster.md, "Forwarding").
 */
export interface TownRigsView {
  /** The node that answered. */
  node: string;
  rigs: Array<RigView & { node: string }>;
  unavailable: UnavailableRigView[];
}
