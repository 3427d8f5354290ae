/** GET /api/cluster: the nodes and rig leases as the database has them, from this node's side. */
import type { ClusterLeaseView, ClusterNodeView, ClusterView } from '../../contracts/cluster';
import type { ClusterConfig } from '../config';
import { isLive } from '../engine/lease';
import type { Ownership } from '../engine/ownership';
import type { Leadership } from '../engine/leadership';
import type { Town } from '../engine/town';
import type { PrismaLeases } from '../store/prisma-leases';

export interface ClusterViewDeps {
  town: Town;
  /** Null in single-server mode. */
  cluster: { config: ClusterConfig; leases: PrismaLeases; ownership: Ownership; leadership: Leadership } | null;
  /** This server's name in single mode (the host name) and its address once it listens. */
  nodeName: string;
  url: () => string | null;
  startedAt: number;
}

export async function clusterView(deps: ClusterViewDeps): Promise<ClusterView> {
  const { town } = deps;
  const attached = town.rigs
    .list()
    .map((r) => r.name)
    .sort();
  if (!deps.cluster) {
    return {
      mode: 'single',
      node: deps.nodeName,
      heartbeatMs: null,
      leaseTtlMs: null,
      attached,
      fencedWrites: 0,
      losses: 0,
      leader: { node: deps.nodeName, epoch: null, self: true },
      nodes: [
        {
          name: deps.nodeName,
          url: deps.url(),
          self: true,
          alive: true,
          startedAt: deps.startedAt,
          heartbeatAgeMs: 0,
          rigs: attached.map((rig) => ({ rig, owner: deps.nodeName, epoch: null, expiresInMs: null, live: true })),
        },
      ],
      unowned: [],
    };
  }
  const { config, leases, ownership, leadership } = deps.cluster;
  const [now, nodes, rows, stored, leaderRow] = await Promise.all([
    leases.now(),
    leases.listNodes(),
    leases.listLeases(),
    leases.rigNames(),
    leases.leader(),
  ]);
  const leaderNode = leaderRow && isLive(leaderRow, now) ? leaderRow.owner : null;
  const view = (l: (typeof rows)[number]): ClusterLeaseView => ({
    rig: l.rig,
    owner: l.owner,
    epoch: l.epoch,
    expiresInMs: l.expiresAt - now,
    live: isLive(l, now),
  });
  const byRig = new Map(rows.map((l) => [l.rig, l]));
  const nodeViews: ClusterNodeView[] = nodes.map((n) => ({
    name: n.name,
    url: n.url,
    self: n.name === config.node,
    alive: now - n.heartbeatAt < n.ttlMs, // by its own TTL: nodes may run with different ones
    startedAt: n.startedAt,
    heartbeatAgeMs: now - n.heartbeatAt,
    rigs: rows.filter((l) => l.owner === n.name && isLive(l, now)).map(view),
  }));
  const unowned = stored
    .map((rig) => byRig.get(rig) ?? { rig, owner: null, epoch: 0, expiresAt: now })
    .filter((l) => !isLive(l, now))
    .map(view);
  return {
    mode: 'cluster',
    node: config.node,
    heartbeatMs: config.heartbeatMs,
    leaseTtlMs: config.leaseTtlMs,
    attached,
    fencedWrites: town.fencedWrites,
    losses: ownership.losses,
    leader: {
      node: leaderNode,
      epoch: leaderNode ? leaderRow!.epoch : null,
      // By this node's own bound too: a node that cannot renew stops leading before its row lapses.
      self: leaderNode === config.node && leadership.isLeader(),
    },
    nodes: nodeViews,
    unowned,
  };
}
