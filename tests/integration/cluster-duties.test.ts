/**
 * What the leader keeps, on real server processes sharing one PostgreSQL database and one
 * Redis (docs/cluster.md, "One leader for the town-wide duties"), watched through a real
 * webhook receiver: an alert rule and a silence made on a node that does not lead take effect
 * on the leader at once (the command is forwarded to it), every node reads the leader's
 * rules, alerts and silences; a node that died before the current leader started (so it
 * was never seen alive by it) is still found down, with its rigs' new owners. And convoys and
 * escalations, kept by their rig's owner: made or acted on through any node, listed the same
 * on every node, and taken up by the node that claims the rig when its owner (the leader) dies.
 */
import type { Server } from 'node:http';
import { startWebhookReceiver } from '../support/webhook-receiver';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertsView, AlertRule, Silence } from '../../contracts/alerts';
import type { ConvoySummary, ConvoyView } from '../../contracts/convoys';
import type { Convoy, Escalation } from '../../contracts/records';
import { ClusterNodes, owned, ownerOf, until, type ClusterNode } from '../support/cluster-nodes';
import { sleep } from '../support/crash-server';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { dropPrefix, ensureRedis, redisPrefix, REDIS_URL, type TestRedis } from '../support/redis';

const TOKEN = 'cluster-duties-operator-token';
const TTL_MS = 8_000;

describe('the leader’s records on nodes sharing PostgreSQL and Redis', { timeout: 600_000 }, () => {
  let root = '';
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  let prefix = '';
  let nodes: ClusterNodes | undefined;
  let receiver: Server | null = null;

  afterEach(async () => {
    await nodes?.killAll();
    nodes = undefined;
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    receiver = null;
    if (redis) {
      await dropPrefix(redis, prefix);
      redis.destroy();
      redis = undefined;
    }
    await db?.drop();
    db = undefined;
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A webhook receiver on loopback, closed after each test. */
  async function webhookReceiver() {
    const hook = await startWebhookReceiver();
    receiver = hook.server;
    return hook;
  }

  async function setUp(tag: string, env: Record<string, string> = {}): Promise<ClusterNodes> {
    root = await mkdtemp(path.join(os.tmpdir(), `gt-cluster-${tag}-`));
    db = await createTestDatabase();
    redis = await ensureRedis();
    prefix = redisPrefix(tag);
    nodes = new ClusterNodes(root, TOKEN, {
      GT_DATABASE_URL: db.url,
      GT_REDIS_URL: REDIS_URL,
      GT_REDIS_PREFIX: prefix,
      GT_CLUSTER_SECRET: 'cluster-duties-test-secret-0123456789',
      GT_HEARTBEAT_MS: '500',
      GT_LEASE_TTL_MS: String(TTL_MS),
      GT_TIME_SCALE: '60',
      ...env,
    });
    return nodes;
  }

  it('applies a rule and a silence made on a non-leader on the leader at once, and finds a node that died before the leader started', async () => {
    const hook = await webhookReceiver();
    const cluster = await setUp('duties', { GT_ALERT_WEBHOOK_URL: hook.url });
    const api = <T>(node: ClusterNode, route: string) => cluster.api<T>(node, 'GET', route);
    const command = <T = unknown>(node: ClusterNode, name: string, input: unknown) => cluster.command<T>(node, name, input);
    const firing = (rule: string) => hook.received.filter((p) => p.alert.ruleId === rule && p.status === 'firing');

    const a = await cluster.start('node-a');
    await until(
      () => cluster.cluster(a),
      (v) => v.leader.node === 'node-a' && v.leader.self,
    );
    const b = await cluster.start('node-b');
    await until(
      () => cluster.cluster(b),
      (v) => v.nodes.filter((n) => n.alive).length === 2 && v.leader.node === 'node-a',
    );
    const url = await cluster.upstream('alpha');
    await command(a, 'rig.add', { name: 'alpha', url, polecats: 1, node: 'node-a' });
    await until(
      () => cluster.cluster(a),
      (v) => v.attached.includes('alpha'),
    );

    // A rule made on b is the leader's at once: a lists it, and b reads a's rules.
    await command(b, 'alert.rule.create', {
      id: 'town-busy',
      name: 'Town busy',
      severity: 'warning',
      scope: 'town',
      conditions: [{ metric: 'polecats', op: '>=', threshold: 1 }],
      forMs: 0,
    });
    expect((await api<AlertRule[]>(a, '/api/alerts/rules')).map((r) => r.id)).toContain('town-busy');
    expect(await api<AlertRule[]>(b, '/api/alerts/rules')).toEqual(await api<AlertRule[]>(a, '/api/alerts/rules'));
    await until(
      async () => firing('town-busy'),
      (f) => f.length > 0,
    );
    expect(firing('town-busy')[0].url).toBe(`${a.url}/alerts`); // evaluated and posted by the leader

    // Bad input forwarded to the leader is refused there and changes nothing.
    await expect(command(b, 'alert.silence', { matchers: [], reason: 'no', durationMs: 10 })).rejects.toThrow(/ 400 /);
    expect(await api<Silence[]>(a, '/api/silences')).toEqual([]);

    // A silence made on b mutes the leader's alert at once, and b shows the leader's view.
    const silence = await command<Silence>(b, 'alert.silence', {
      matchers: [{ name: 'rule', value: 'town-busy' }],
      reason: 'busy on purpose',
      durationMs: 3_600_000,
    });
    const onA = await api<AlertsView>(a, '/api/alerts/active');
    expect(onA.active.find((x) => x.ruleId === 'town-busy')?.silencedBy).toBe(silence.id);
    expect((await api<Silence[]>(a, '/api/silences')).map((s) => s.id)).toEqual([silence.id]);
    const onB = await api<AlertsView>(b, '/api/alerts/active');
    expect(onB.active.find((x) => x.ruleId === 'town-busy')?.silencedBy).toBe(silence.id);

    // Both nodes die; c starts after their leases lapsed, never having seen a alive. It
    // leads, claims alpha, and raises the node-down alert about a (b held no rig: not down).
    for (const run of [a.run, b.run]) run.crash();
    await Promise.all([a.run.exited, b.run.exited]);
    await sleep(TTL_MS + 1_000); // past every lease a and b held
    const c = await cluster.start('node-c');
    const view = await until(
      () => cluster.cluster(c),
      (v) => v.leader.node === 'node-c' && owned(v, 'node-c').some((r) => r.startsWith('alpha@')),
    );
    expect(view.nodes.find((n) => n.name === 'node-a')?.alive).toBe(false);
    await until(
      async () => firing('node-down'),
      (f) => f.length > 0,
    );
    expect(firing('node-down')).toHaveLength(1);
    // Raised on c's first heartbeat, before it listens: its page address is not known yet.
    expect([null, `${c.url}/alerts`]).toContain(firing('node-down')[0].url);
    expect(firing('node-down')[0].alert.summary).toContain('node node-a is down; its rigs: alpha → ');
    expect(firing('node-down')[0].alert.summary).not.toContain('node-b is down');
    // The silence made on b is still in force on the new leader (read from the store).
    const onC = await until(
      () => api<AlertsView>(c, '/api/alerts/active'),
      (v) => v.active.some((x) => x.ruleId === 'town-busy'),
    );
    expect(onC.active.find((x) => x.ruleId === 'town-busy')?.silencedBy).toBe(silence.id);
  });

  it('keeps convoys and escalations with their rig: listed the same everywhere, acted on by the rig’s owner, taken over with the rig when the leader dies', async () => {
    const cluster = await setUp('convoys');
    const api = <T>(node: ClusterNode, route: string) => cluster.api<T>(node, 'GET', route);
    const command = <T = unknown>(node: ClusterNode, name: string, input: unknown) => cluster.command<T>(node, name, input);
    const lists = (...of: ClusterNode[]) => Promise.all(of.map((n) => api<ConvoySummary[]>(n, '/api/convoys')));
    const alike = (answers: unknown[][]) => answers.every((l) => JSON.stringify(l) === JSON.stringify(answers[0]));

    const a = await cluster.start('node-a');
    await until(
      () => cluster.cluster(a),
      (v) => v.leader.node === 'node-a' && v.leader.self,
    );
    const [b, c] = await Promise.all([cluster.start('node-b'), cluster.start('node-c')]);
    await until(
      () => cluster.cluster(c),
      (v) => v.nodes.filter((n) => n.alive).length === 3,
    );
    await command(a, 'rig.add', { name: 'alpha', url: await cluster.upstream('alpha'), polecats: 2, node: 'node-a' });
    await until(
      () => cluster.cluster(a),
      (v) => v.attached.includes('alpha'),
    );

    // beta's agent fails every attempt: its Witness raises an escalation on a, beta's owner.
    await command(a, 'rig.add', { name: 'beta', url: await cluster.upstream('beta'), polecats: 1, node: 'node-a' });
    await until(
      () => cluster.cluster(a),
      (v) => v.attached.includes('beta'),
    );
    await command(b, 'agent.configure', { rig: 'beta', agent: { kind: 'command', command: ['/bin/false'] } });
    await command(b, 'bead.create', { rig: 'beta', title: 'beta work', description: '', priority: 1, paths: ['core/'] });
    const escalations = (...of: ClusterNode[]) => Promise.all(of.map((n) => api<Escalation[]>(n, '/api/escalations')));
    const raised = await until(
      () => escalations(a, b, c),
      (ls) => alike(ls) && ls[0].length === 1,
    );
    expect(raised[0][0]).toMatchObject({ rig: 'beta', source: 'witness', status: 'open' });
    const escalation = raised[0][0].id;
    // Acknowledged through c: a, which holds it, records who; every node lists it so.
    await command(c, 'escalation.ack', { id: escalation });
    const acked = await until(
      () => escalations(a, b, c),
      (ls) => alike(ls) && ls[0][0]?.status === 'acknowledged',
    );
    expect(acked[0][0].acknowledgedBy).not.toBeNull();
    await expect(command(b, 'escalation.ack', { id: escalation })).rejects.toThrow(/ 409 /); // a says: already acknowledged

    // Made through b, run by a (alpha's owner, the leader): held, so nothing moves yet.
    const convoy = await command<Convoy>(b, 'convoy.create', {
      title: 'alpha work',
      hold: true,
      beads: ['core/', 'ui/', 'tests/'].map((area, i) => ({ title: `alpha work ${i}`, rig: 'alpha', paths: [area] })),
    });
    const listed = await until(
      () => lists(a, b, c),
      (ls) => alike(ls) && ls[0].length === 1,
    );
    expect(listed[0][0]).toMatchObject({ id: convoy.id, status: 'open', waves: 0, progress: { done: 0, total: 3 } });
    // Its detail is the owner's on every node (its beads held, a wave size suggested).
    const detail = (n: ClusterNode) => api<ConvoyView>(n, `/api/convoys/${convoy.id}`);
    expect(await detail(c)).toEqual(await detail(a));
    // Bad input through c is refused where the convoy is kept, and changes nothing.
    await expect(command(c, 'convoy.dispatch', { id: convoy.id, waveSize: 0 })).rejects.toThrow(/ 400 /);
    await expect(command(c, 'convoy.dispatch', { id: 'cv-nope', waveSize: null })).rejects.toThrow(/ 404 /);
    expect((await lists(a))[0][0].waves).toBe(0);

    // The leader, alpha's owner, dies: b or c claims alpha and takes the convoy up with it.
    a.run.crash();
    await a.run.exited;
    const after = await until(
      () => cluster.cluster(b),
      (v) =>
        v.nodes.find((n) => n.name === 'node-a')?.alive === false &&
        v.leader.node !== null &&
        v.leader.node !== 'node-a' &&
        ['node-b', 'node-c'].includes(ownerOf(v, 'alpha') ?? ''),
    );
    const [owner, other] = ownerOf(after, 'alpha') === 'node-b' ? [b, c] : [c, b];
    await until(
      () => cluster.cluster(owner),
      (v) => v.attached.includes('alpha'),
    );
    const survived = await until(
      () => lists(b, c),
      (ls) => alike(ls) && ls[0].length === 1,
    );
    expect(survived[0][0]).toMatchObject({ id: convoy.id, status: 'open', waves: 0, progress: { done: 0, total: 3 } });

    // beta's escalation went with beta: resolved through the node that does not run beta.
    const betaView = await until(
      () => cluster.cluster(b),
      (v) => ['node-b', 'node-c'].includes(ownerOf(v, 'beta') ?? ''),
    );
    const [betaOwner, betaOther] = ownerOf(betaView, 'beta') === 'node-b' ? [b, c] : [c, b];
    await until(
      () => cluster.cluster(betaOwner),
      (v) => v.attached.includes('beta'),
    );
    await command(betaOther, 'escalation.resolve', { id: escalation });
    const resolved = await until(
      () => escalations(b, c),
      (ls) => alike(ls) && ls[0][0]?.status === 'resolved',
    );
    expect(resolved[0]).toHaveLength(1);

    // Dispatched through the node that does not run it: the owner runs it, and it lands.
    await command(other, 'convoy.dispatch', { id: convoy.id, waveSize: null });
    const landed = await until(
      () => lists(b, c),
      (ls) => alike(ls) && ls[0][0]?.status === 'landed',
    );
    expect(landed[0][0]).toMatchObject({ id: convoy.id, status: 'landed', waves: 1, progress: { done: 3, total: 3 } });
  });
});
