/**
 * A cluster node's share of the town-wide duties (docs/cluster.md, "One leader"): its
 * leader lease, the other nodes' last samples (what the leader evaluates alert rules on),
 * and the watch on nodes going down. `pass()` runs after Ownership's on every heartbeat;
 * monitoring asks `isLeader()` before each duty (metrics/monitoring.ts, TownDuties).
 */
import type { Logger } from '../engine/context';
import { Leadership } from '../engine/leadership';
import type { LeasePort } from '../engine/ports';
import type { TownDuties } from '../metrics/monitoring';
import { parseNodeSample, type NodeSample } from '../metrics/town-merge';
import { isLive } from '../engine/lease';
import type { NodeGroup } from '../queries/diagrams';
import { EMPTY_WATCH, describeNodesDown, nodesDown, seedWatch, watchNodes, type NodeWatch } from './node-watch';

export interface ClusterDutiesOptions {
  node: string;
  leases: LeasePort;
  ttlMs: number;
  monotonic: () => number;
  log: Logger;
  /** Became the leader (true) or stopped being it (false). */
  onLeaderChange?: (leader: boolean) => void;
  /** The watch's findings changed (a node went down, its rigs were claimed, it came back). */
  onNodesChange?: () => void;
}

export class ClusterDuties implements TownDuties {
  readonly leadership: Leadership;
  private samples: NodeSample[] = [];
  private watch: NodeWatch = EMPTY_WATCH;
  private groups: NodeGroup[] | null = null;

  constructor(private readonly options: ClusterDutiesOptions) {
    this.leadership = new Leadership({
      node: options.node,
      leases: options.leases,
      ttlMs: options.ttlMs,
      monotonic: options.monotonic,
      onChange: options.onLeaderChange,
      log: options.log,
    });
  }

  isLeader(): boolean {
    return this.leadership.isLeader();
  }

  peers(): readonly NodeSample[] {
    return this.samples;
  }

  nodesDown(): number {
    return nodesDown(this.watch);
  }

  describeNodesDown(): string | null {
    return describeNodesDown(this.watch);
  }

  /** The nodes and the rigs each holds at the last heartbeat, for the overview's diagram; null before the first. */
  layout(): NodeGroup[] | null {
    return this.groups;
  }

  /**
   * Starts the node watch from the store, before the first heartbeat claims anything: a node
   * that died before this one started, its leases still in its name, is found down on the
   * first pass (node-watch.ts, seedWatch). Never throws: unread, the watch starts empty.
   */
  async seed(): Promise<void> {
    const { leases, log } = this.options;
    try {
      const [now, nodes, rows] = await Promise.all([leases.now(), leases.listNodes(), leases.listLeases()]);
      this.watch = seedWatch(nodes, rows, now);
    } catch (err) {
      log.warn('cluster: reading the nodes for the node watch failed; it starts empty', { error: String(err) });
    }
  }

  /** The leader lease renewed or claimed, the peers' samples and the node watch refreshed. Never throws. */
  async pass(): Promise<void> {
    const { leases, node, log } = this.options;
    await this.leadership.pass();
    try {
      const [now, nodes, rows, leader] = await Promise.all([
        leases.now(),
        leases.listNodes(),
        leases.listLeases(),
        leases.leader(),
      ]);
      this.samples = nodes
        .filter((n) => n.name !== node && now - n.heartbeatAt < n.ttlMs)
        .map((n) => parseNodeSample(n.rigMetrics))
        .filter((s): s is NodeSample => s !== null);
      const before = JSON.stringify(this.watch.down);
      this.watch = watchNodes(this.watch, nodes, rows, now, this.options.ttlMs);
      // Live nodes, and a dead one while the node-down alert is about it.
      const leaderNode = leader && isLive(leader, now) ? leader.owner : null;
      this.groups = nodes
        .filter((n) => now - n.heartbeatAt < n.ttlMs || this.watch.down.some((d) => d.node === n.name))
        .map((n) => ({
          name: n.name,
          alive: now - n.heartbeatAt < n.ttlMs,
          leader: n.name === leaderNode,
          rigs: rows.filter((l) => l.owner === n.name && isLive(l, now)).map((l) => l.rig),
        }));
      if (JSON.stringify(this.watch.down) !== before) this.options.onNodesChange?.();
    } catch (err) {
      log.warn('cluster: reading the nodes failed; the next heartbeat tries again', { error: String(err) });
    }
  }
}
