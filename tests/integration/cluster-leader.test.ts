/**
 * The town-wide duties on two real server processes sharing one SQLite file (docs/cluster.md,
 * "One leader for the town-wide duties"), watched through a real webhook receiver: only the
 * leader evaluates the alert rules (over both nodes' rigs) and posts, so an alert is recorded
 * and posted once; new rigs go to the node with the fewest polecats; and when the leader is
 * killed with SIGKILL, the other node takes the leader lease, keeps the alert it inherited
 * without posting it again, and raises the node-down alert naming the rigs' new owners,
 * which clears once they are owned.
 */
import type { Server } from 'node:http';
import { startWebhookReceiver } from '../support/webhook-receiver';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertView } from '../../contracts/alerts';
import type { ClusterView } from '../../contracts/cluster';
import { ClusterNodes, until, type ClusterNode } from '../support/cluster-nodes';
import { sleep } from '../support/crash-server';

const TOKEN = 'cluster-leader-test-operator-token';

describe('the town-wide duties on the leader of two nodes', { timeout: 600_000 }, () => {
  let root: string;
  let receiver: Server | null = null;
  let nodes: ClusterNodes | null = null;
  afterEach(async () => {
    await nodes?.killAll();
    nodes = null;
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A webhook receiver on loopback, closed after each test. */
  async function webhookReceiver() {
    const hook = await startWebhookReceiver();
    receiver = hook.server;
    return hook;
  }

  /** Two nodes on one SQLite file, heartbeats every 500 ms; samples every 10 s of engine time (1/6 s here). */
  const startNode = (name: string, env: Record<string, string>): Promise<ClusterNode> => nodes!.start(name, env);
  const api = <T>(node: ClusterNode, method: 'GET' | 'POST', route: string) => nodes!.api<T>(node, method, route);
  const command = <T = unknown>(node: ClusterNode, name: string, input: unknown) => nodes!.command<T>(node, name, input);
  const cluster = (node: ClusterNode) => nodes!.cluster(node);
  const upstream = (name: string) => nodes!.upstream(name);

  /** The rigs `node` holds in `view`, without epochs, sorted. */
  const owned = (view: ClusterView, node: string) =>
    (view.nodes.find((n) => n.name === node)?.rigs ?? []).map((l) => l.rig).sort();

  it('evaluates and posts alerts once, on the leader, places rigs by polecats, and fails the duties over with a node-down alert', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gt-cluster-leader-'));
    nodes = new ClusterNodes(root, TOKEN, {
      GT_DATABASE_FILE: path.join(root, 'shared.db'),
      GT_HEARTBEAT_MS: '500',
      GT_LEASE_TTL_MS: '6000',
      GT_TIME_SCALE: '60',
    });
    const hook = await webhookReceiver();
    const env = { GT_ALERT_WEBHOOK_URL: hook.url };
    const a = await startNode('node-a', env);
    await until(
      () => cluster(a),
      (v) => v.leader.node === 'node-a' && v.leader.self,
    );
    const b = await startNode('node-b', env);
    const both = await until(
      () => cluster(b),
      (v) => v.nodes.filter((n) => n.alive).length === 2,
    );
    expect(both.leader).toEqual({ node: 'node-a', epoch: 1, self: false });

    // Placement: alpha (2 polecats) lands on a, the only node with any; then beta, asked of
    // a, goes to b (0 polecats) and gamma, asked of b, to a (2 against b's 3).
    const added = (node: ClusterNode, name: string, polecats: number) =>
      upstream(name).then((url) => command<{ name: string; node: string }>(node, 'rig.add', { name, url, polecats }));
    expect((await added(a, 'alpha', 2)).node).toBe('node-a');
    await until(
      () => cluster(a),
      (v) => owned(v, 'node-b').length === 0 && owned(v, 'node-a').includes('alpha'),
    );
    expect((await added(a, 'beta', 3)).node).toBe('node-b');
    await until(
      () => cluster(b),
      (v) => v.attached.includes('beta'),
    );
    expect((await added(b, 'gamma', 1)).node).toBe('node-a');
    const placed = await until(
      () => cluster(a),
      (v) => v.attached.includes('gamma') && owned(v, 'node-b').includes('beta'),
    );
    expect(owned(placed, 'node-a')).toEqual(['alpha', 'gamma']);
    expect(owned(placed, 'node-b')).toEqual(['beta']);
    // /metrics: each node its own rigs, labelled with its name; the town's series from the leader only.
    const metricsOf = (n: ClusterNode) =>
      fetch(`${n.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.text());
    const settled = async (n: ClusterNode, want: RegExp) => {
      let text = '';
      for (let i = 0; i < 120 && !want.test(text); i++) {
        text = await metricsOf(n).catch(() => '');
        if (!want.test(text)) await sleep(250);
      }
      return text;
    };
    const onB = await settled(b, /^gt_polecats\{rig="beta",node="node-b"\} 3$/m);
    expect(onB).toMatch(/^gt_polecats\{rig="beta",node="node-b"\} 3$/m);
    expect(onB).not.toContain('rig="alpha"');
    // Town-wide series (no rig label) only from the leader: b serves none, a the whole town's.
    expect(onB).not.toMatch(/^gt_nodes_down /m);
    expect(await settled(a, /^gt_nodes_down 0$/m)).toMatch(/^gt_nodes_down 0$/m);
    // --node overrides, and a node that does not exist is refused before anything is cloned.
    await expect(command(a, 'rig.add', { name: 'delta', url: await upstream('delta'), node: 'node-z' })).rejects.toThrow(/404/);
    expect(existsSync(path.join(root, 'node-a', 'rigs', 'delta'))).toBe(false);

    // A town rule only the whole town meets: 6 polecats, of which node-a runs 3.
    await command(a, 'alert.rule.create', {
      id: 'town-crowded',
      name: 'Town crowded',
      severity: 'warning',
      scope: 'town',
      conditions: [{ metric: 'polecats', op: '>=', threshold: 6 }],
      forMs: 0,
    });
    const firing = (rule: string) => hook.received.filter((p) => p.alert.ruleId === rule && p.status === 'firing');
    await until(
      async () => firing('town-crowded'),
      (f) => f.length > 0,
    );
    await sleep(3_000); // many evaluations on the leader (6 a second), and as many chances to post twice
    expect(firing('town-crowded')).toHaveLength(1);
    expect(firing('town-crowded')[0].url).toBe(`${a.url}/alerts`); // posted by the leader
    const stored = await api<AlertView[]>(b, 'GET', '/api/alerts?rule=town-crowded');
    expect(stored.map((x) => x.state)).toEqual(['firing']); // one record, not one per node

    // The leader dies: b takes the leader lease (epoch 2) and a's rigs.
    a.run.crash();
    await a.run.exited;
    const after = await until(
      () => cluster(b),
      (v) => v.leader.node === 'node-b' && owned(v, 'node-b').length === 3,
    );
    expect(after.leader).toEqual({ node: 'node-b', epoch: 2, self: true });

    // The node-down alert, raised by b, names a and its rigs; it clears once they are owned.
    const nodeDown = (status: 'firing' | 'resolved') =>
      hook.received.filter((p) => p.alert.ruleId === 'node-down' && p.status === status);
    await until(
      async () => nodeDown('resolved'),
      (r) => r.length > 0,
    );
    expect(nodeDown('firing')).toHaveLength(1);
    expect(nodeDown('firing')[0].url).toBe(`${b.url}/alerts`);
    expect(nodeDown('firing')[0].alert.summary).toContain('node node-a is down; its rigs: alpha → ');
    expect(nodeDown('resolved')[0].alert.summary).toContain('alpha → node-b, gamma → node-b');
    const history = await api<AlertView[]>(b, 'GET', '/api/alerts?rule=node-down');
    expect(history.map((x) => x.state)).toEqual(['resolved']);

    // The alert b inherited is still firing, still one record, and was not posted again.
    expect((await api<AlertView[]>(b, 'GET', '/api/alerts?rule=town-crowded')).map((x) => x.state)).toEqual(['firing']);
    expect(firing('town-crowded')).toHaveLength(1);
  });
});
