/**
 * The pure parts of a cluster's town-wide duties (docs/cluster.md): the leader's view of the
 * whole town from the nodes' samples, the node-down watch, where a new rig goes, and the
 * partition diagram grouped by node.
 */
import { describe, expect, it } from 'vitest';
import type { NodeRecord, RigLease } from '@/server/engine/ports';
import { describeNodesDown, EMPTY_WATCH, nodesDown, seedWatch, watchNodes } from '@/server/cluster/node-watch';
import { placeRig } from '@/server/cluster/placement';
import { mergeTownSnapshot, nodeSampleJson, parseNodeSample } from '@/server/metrics/town-merge';
import { partitionDiagram } from '@/server/queries/diagrams';
import type { MetricSnapshot } from '@/contracts/metrics';

const TTL = 6_000;
const node = (name: string, heartbeatAt: number): NodeRecord => ({ name, url: null, startedAt: 0, heartbeatAt, ttlMs: TTL });
const lease = (rig: string, owner: string | null, expiresAt: number, epoch = 1): RigLease => ({ rig, owner, epoch, expiresAt });

describe('the leader’s snapshot of the whole town', () => {
  const own: MetricSnapshot = {
    at: 100,
    town: { patrol_duration: 30, cost_today: 2, queue_depth: 1 },
    rigs: { alpha: { queue_depth: 1, polecats: 2, conflict_rate: 0.5, conflict_sample: 2, polecat_max_silence: 10 } },
  };
  const peer = parseNodeSample(
    nodeSampleJson({
      at: 90,
      town: { patrol_duration: 400, cost_today: 99 },
      rigs: { beta: { queue_depth: 7, polecats: 3, conflict_rate: 0, conflict_sample: 6, polecat_max_silence: 50 } },
    }),
  )!;

  it('adds the other nodes’ rigs and sums the town up over all of them', () => {
    const town = mergeTownSnapshot(own, [peer]);
    expect(Object.keys(town.rigs).sort()).toEqual(['alpha', 'beta']);
    expect(town.town.queue_depth).toBe(8);
    expect(town.town.polecats).toBe(5);
    expect(town.town.polecat_max_silence).toBe(50); // a max, not a sum
    expect(town.town.conflict_rate).toBeCloseTo(1 / 8); // 1 conflict in 8 attempts, not the mean of 50% and 0%
    expect(town.town.conflict_sample).toBe(8);
    expect(town.town.patrol_duration).toBe(400); // the slowest node's Deacon
    expect(town.town.cost_today).toBe(2); // the leader's: every node seeds it from the same usage records
  });

  it('keeps its own values for a rig it runs, over a peer’s older sample of it', () => {
    const stale = { at: 1, town: {}, rigs: { alpha: { queue_depth: 40 } } };
    expect(mergeTownSnapshot(own, [stale]).rigs.alpha.queue_depth).toBe(1);
  });

  it('ignores a stored sample that is not one', () => {
    expect(parseNodeSample('{"rigs": 3}')).toBeNull();
    expect(parseNodeSample('not json')).toBeNull();
    expect(parseNodeSample(null)).toBeNull();
  });
});

describe('the node-down watch', () => {
  it('finds a node dead with its rigs, names their new owners, and settles a TTL later once all are owned', () => {
    const alive = [node('a', 1_000), node('b', 1_000)];
    let watch = watchNodes(EMPTY_WATCH, alive, [lease('alpha', 'a', 7_000), lease('beta', 'b', 7_000)], 1_000, TTL);
    expect(nodesDown(watch)).toBe(0);
    // b stopped heartbeating at 1,000; at 8,000 it is dead and a has claimed beta.
    const later = [node('a', 8_000), node('b', 1_000)];
    watch = watchNodes(watch, later, [lease('alpha', 'a', 14_000), lease('beta', 'a', 14_000, 2)], 8_000, TTL);
    expect(nodesDown(watch)).toBe(1);
    expect(describeNodesDown(watch)).toBe('node b is down; its rigs: beta → a');
    // Still held down within the TTL, though its rig is owned.
    watch = watchNodes(watch, [node('a', 10_000), node('b', 1_000)], [lease('beta', 'a', 16_000, 2)], 10_000, TTL);
    expect(nodesDown(watch)).toBe(1);
    watch = watchNodes(watch, [node('a', 14_000), node('b', 1_000)], [lease('beta', 'a', 20_000, 2)], 14_000, TTL);
    expect(nodesDown(watch)).toBe(0);
    expect(describeNodesDown(watch)).toBe('node b is down; its rigs: beta → a'); // the resolution says who took over
    watch = watchNodes(watch, [node('a', 15_000), node('b', 1_000)], [lease('beta', 'a', 21_000, 2)], 15_000, TTL);
    expect(watch.down).toEqual([]);
  });

  it('stays down while a rig has no owner, and settles at once when the node comes back', () => {
    let watch = watchNodes(EMPTY_WATCH, [node('a', 0), node('b', 0)], [lease('beta', 'b', 6_000)], 0, TTL);
    watch = watchNodes(watch, [node('a', 20_000), node('b', 0)], [lease('beta', 'b', 6_000)], 20_000, TTL);
    watch = watchNodes(watch, [node('a', 40_000), node('b', 0)], [lease('beta', 'b', 6_000)], 40_000, TTL);
    expect(nodesDown(watch)).toBe(1);
    expect(describeNodesDown(watch)).toBe('node b is down; its rigs: beta → no owner yet');
    watch = watchNodes(watch, [node('a', 41_000), node('b', 41_000)], [lease('beta', 'b', 47_000, 2)], 41_000, TTL);
    expect(nodesDown(watch)).toBe(0);
  });

  it('finds a node that died before this one started, from the leases still in its name', () => {
    // b was killed long ago (its leases lapsed in its name); c stopped cleanly (released).
    const nodes = [node('a', 50_000), node('b', 1_000), node('c', 1_000)];
    const rows = [lease('beta', 'b', 7_000), lease('delta', 'b', 7_000), lease('gamma', null, 2_000)];
    let watch = watchNodes(seedWatch(nodes, rows, 50_000), nodes, rows, 50_000, TTL);
    expect(nodesDown(watch)).toBe(1);
    expect(describeNodesDown(watch)).toBe('node b is down; its rigs: beta → no owner yet, delta → no owner yet');
    // a claims them: once a TTL has passed with every rig owned, the episode settles.
    const claimed = [lease('beta', 'a', 62_000, 2), lease('delta', 'a', 62_000, 2), lease('gamma', null, 2_000)];
    watch = watchNodes(watch, [node('a', 56_000), node('b', 1_000), node('c', 1_000)], claimed, 56_000, TTL);
    expect(nodesDown(watch)).toBe(0);
    expect(describeNodesDown(watch)).toBe('node b is down; its rigs: beta → a, delta → a');
  });

  it('seeds nothing for live nodes or a node with no lease left in its name', () => {
    const nodes = [node('a', 50_000), node('c', 1_000)];
    const seeded = seedWatch(nodes, [lease('alpha', 'a', 56_000), lease('gamma', null, 2_000)], 50_000);
    expect(seeded).toEqual(EMPTY_WATCH);
  });

  it('raises nothing for a node that held no rigs', () => {
    let watch = watchNodes(EMPTY_WATCH, [node('a', 0), node('b', 0)], [], 0, TTL);
    watch = watchNodes(watch, [node('a', 20_000), node('b', 0)], [], 20_000, TTL);
    expect(watch.down).toEqual([]);
  });
});

describe('placing a new rig', () => {
  const nodes = [node('a', 9_000), node('b', 9_000), node('dead', 0)];
  const leases = [lease('alpha', 'a', 15_000), lease('beta', 'b', 15_000), lease('old', 'dead', 100)];
  const input = { self: 'a', nodes, leases, now: 10_000 };

  it('goes to the live node with the fewest polecats', () => {
    expect(placeRig({ ...input, polecats: { alpha: 5, beta: 2, old: 0 } })).toBe('b');
    expect(placeRig({ ...input, polecats: { alpha: 1, beta: 2 } })).toBe('a');
  });

  it('stays on the node asked when it ties', () => {
    expect(placeRig({ ...input, self: 'b', polecats: { alpha: 2, beta: 2 } })).toBe('b');
  });

  it('takes the node named, and refuses an unknown or dead one', () => {
    expect(placeRig({ ...input, polecats: { alpha: 0, beta: 9 }, asked: 'b' })).toBe('b');
    expect(() => placeRig({ ...input, polecats: {}, asked: 'nope' })).toThrow(/node 'nope'|nope/);
    expect(() => placeRig({ ...input, polecats: {}, asked: 'dead' })).toThrow(/not alive/);
  });
});

describe('the partition diagram by node', () => {
  const alpha = {
    name: 'alpha',
    scope: 'whole repository',
    polecats: 2,
    workers: 1,
    queueDepth: 0,
    state: 'active' as const,
    target: 'alpha main',
  };

  it('draws one subgraph per node with its rigs, another node’s by name, a dead one as down', () => {
    const text = partitionDiagram(
      [alpha],
      [
        { name: 'node-a', alive: true, leader: true, rigs: ['alpha'] },
        { name: 'node-b', alive: true, leader: false, rigs: ['beta'] },
        { name: 'node-c', alive: false, leader: false, rigs: [] },
      ],
    );
    const block = (name: string) =>
      text.slice(text.indexOf(`subgraph N_${name}`), text.indexOf('end', text.indexOf(`subgraph N_${name}`)));
    expect(block('node_a')).toContain('"node-a · leader"');
    expect(block('node_a')).toContain('R_alpha["alpha<br/>whole repository<br/>2 polecats"]');
    expect(block('node_b')).toContain('R_beta["beta"]:::remote');
    expect(block('node_c')).toContain('"node-c · down"');
    expect(text).toContain('town --> R_alpha --> Q_alpha');
    expect(text.match(/R_alpha\[/g)).toHaveLength(1); // declared once, inside its node
  });

  it('has no subgraphs on one server', () => {
    expect(partitionDiagram([alpha])).not.toContain('subgraph');
  });
});

describe('rig.add --node', () => {
  it('takes a node name as GT_NODE does and refuses anything else', async () => {
    const { AddRigInput } = await import('@/server/commands/rigs');
    const base = { name: 'beta', url: '/srv/beta.git' };
    expect(AddRigInput.safeParse({ ...base, node: 'node-b.example_1' }).success).toBe(true);
    for (const node of ['', '-flag', 'a b', 'node/../x', 'x'.repeat(64), 'nöde', 42]) {
      expect(AddRigInput.safeParse({ ...base, node }).success, String(node)).toBe(false);
    }
  });
});
