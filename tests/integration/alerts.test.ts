/**
 * Alerting beyond the state machine: the alert stores behave alike (SQLite and PostgreSQL
 * through Prisma, and memory); a restart resumes a pending alert's `for` where it was; the
 * webhook retries with backoff and its failures are visible; the alert commands are
 * validated, authorised and audited like every other operator action; recommendations
 * carry the seed's remedies as commands that run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertManager } from '@/server/alerts/manager';
import type { Alert, AlertView, Silence } from '@/contracts/alerts';
import { PrismaAlertStore } from '@/server/alerts/prisma-store';
import { REMEDY_SETTLE_MS } from '@/server/alerts/recommendations';
import { DEFAULT_RULES } from '@/server/alerts/rules';
import { MemoryAlertStore, type AlertStore } from '@/server/alerts/store';
import { WebhookNotifier, type EscalationPayload, type WebhookPayload } from '@/server/alerts/webhook';
import { COMMANDS, createCommandBus, type Actor } from '@/server/commands';
import { VirtualClock } from '@/server/engine/clock';
import type { Town } from '@/server/engine/town';
import { createMonitoring } from '@/server/metrics/monitoring';
import { MemoryMetricsStore } from '@/server/metrics/series-store';
import type { StoreClient } from '@/server/store/client';
import { migrateDatabase } from '@/server/store/migrate';
import { openSqlitePrisma } from '@/server/store/sqlite';
import { createHarness, type Harness } from '../support/engine-harness';
import { openTestPostgres } from '../support/postgres';

const T0 = 1_790_000_000_000.5;
let tmp: string;
let prisma: StoreClient;
/** A fresh PostgreSQL database for this file, dropped at the end. */
let postgres: Awaited<ReturnType<typeof openTestPostgres>>;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gt-alerts-'));
  await migrateDatabase(path.join(tmp, 'gastown.db'));
  prisma = await openSqlitePrisma(path.join(tmp, 'gastown.db'));
  postgres = await openTestPostgres();
});
afterAll(async () => {
  await prisma?.$disconnect();
  await postgres?.close();
  await rm(tmp, { recursive: true, force: true });
});

async function emptied(client: StoreClient): Promise<AlertStore> {
  await client.alert.deleteMany({});
  await client.alertRule.deleteMany({});
  await client.silence.deleteMany({});
  return new PrismaAlertStore(client);
}
const freshPrisma = () => emptied(prisma);
const freshPostgres = () => emptied(postgres.client);

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'al-1',
    ruleId: 'merge-queue-backlog',
    ruleName: 'Merge queue backlog',
    severity: 'warning',
    labels: { rig: 'alpha' },
    state: 'firing',
    summary: 'queue_depth 7 (> 5) on alpha',
    value: 7,
    activeAt: T0,
    firedAt: T0 + 600_000,
    resolvedAt: null,
    keepFiringSince: T0 + 700_000.25,
    lastEvaluatedAt: T0 + 700_000.25,
    acknowledgedBy: 'ada',
    acknowledgedAt: T0 + 650_000,
    notified: true,
    recommendations: [
      { kind: 'command', label: 'Scale', why: 'faster', command: 'refinery.scale', input: { rig: 'alpha', workers: 3 } },
    ],
    ...over,
  };
}

function silence(over: Partial<Silence> = {}): Silence {
  return {
    id: 'sil-1',
    matchers: [{ name: 'rule', value: 'merge-queue-backlog' }],
    reason: 'known',
    createdBy: 'ada',
    createdAt: T0,
    startsAt: T0,
    endsAt: T0 + 3_600_000,
    expiredBy: null,
    ...over,
  };
}

describe.each([
  { name: 'MemoryAlertStore', make: async (): Promise<AlertStore> => new MemoryAlertStore() },
  { name: 'PrismaAlertStore on SQLite', make: freshPrisma },
  { name: 'PrismaAlertStore on PostgreSQL', make: freshPostgres },
])('$name', ({ make }) => {
  it('round-trips rules, alerts and silences', async () => {
    const store = await make();
    await store.saveRule(DEFAULT_RULES[2], { by: 'defaults', at: T0 });
    await store.saveRule({ ...DEFAULT_RULES[0], forMs: 1 }, { by: 'ada', at: T0 });
    expect(await store.listRules()).toEqual(
      [DEFAULT_RULES[2], { ...DEFAULT_RULES[0], forMs: 1 }].sort((a, b) => a.id.localeCompare(b.id)),
    );
    await store.deleteRule(DEFAULT_RULES[2].id);
    expect((await store.listRules()).map((r) => r.id)).toEqual([DEFAULT_RULES[0].id]);
    await store.saveRules([DEFAULT_RULES[1], DEFAULT_RULES[0]], { by: 'defaults', at: T0 });
    expect((await store.listRules()).map((r) => r.forMs)).toEqual([DEFAULT_RULES[1].forMs, DEFAULT_RULES[0].forMs]);
    await store.deleteRule(DEFAULT_RULES[1].id);

    await store.saveAlert(alert());
    await store.saveAlert(
      alert({
        id: 'al-2',
        labels: {},
        ruleId: 'deacon-patrol-slow',
        activeAt: T0 + 1,
        state: 'pending',
        firedAt: null,
        acknowledgedBy: null,
        acknowledgedAt: null,
      }),
    );
    expect(await store.listAlerts({})).toEqual([
      alert({
        id: 'al-2',
        labels: {},
        ruleId: 'deacon-patrol-slow',
        activeAt: T0 + 1,
        state: 'pending',
        firedAt: null,
        acknowledgedBy: null,
        acknowledgedAt: null,
      }),
      alert(),
    ]);
    expect((await store.listAlerts({ rig: 'alpha' })).map((a) => a.id)).toEqual(['al-1']);
    expect((await store.listAlerts({ states: ['pending'] })).map((a) => a.id)).toEqual(['al-2']);
    expect((await store.listAlerts({ ruleId: 'merge-queue-backlog', limit: 5 })).map((a) => a.id)).toEqual(['al-1']);
    await store.saveAlert(alert({ state: 'resolved', resolvedAt: T0 + 900_000 }));
    expect((await store.listAlerts({ since: T0 + 800_000 })).map((a) => a.id)).toEqual(['al-1']);
    await store.deleteAlert('al-2');
    expect(await store.listAlerts({})).toHaveLength(1);

    await store.saveSilence(silence());
    await store.saveSilence(silence({ id: 'sil-2', createdAt: T0 + 5, endsAt: T0 + 10 }));
    expect((await store.listSilences({})).map((s) => s.id)).toEqual(['sil-2', 'sil-1']);
    expect(await store.listSilences({ notEndedAt: T0 + 100 })).toEqual([silence()]);

    expect(await store.prune(T0 + 1_000_000)).toEqual({ alerts: 1, silences: 1 });
    expect(await store.listAlerts({})).toEqual([]);
  });
});

describe.each([
  { name: 'SQLite', make: freshPrisma },
  { name: 'PostgreSQL', make: freshPostgres },
])('alerts across a restart on $name', ({ make }) => {
  it('adds a default rule the town was made without (node-down) at start, once, and keeps the operator’s edits', async () => {
    const store = await make();
    const clock = new VirtualClock(T0);
    // A town made before clusters: every default but node-down, one of them disabled by ada.
    const older = DEFAULT_RULES.filter((r) => r.id !== 'node-down').map((r) =>
      r.id === 'merge-queue-backlog' ? { ...r, enabled: false } : r,
    );
    await store.saveRules(older, { by: 'defaults', at: T0 });
    const manager = new AlertManager({ store, clock });
    await manager.load();
    expect(manager.listRules().find((r) => r.id === 'node-down')).toEqual(DEFAULT_RULES.find((r) => r.id === 'node-down'));
    expect(manager.listRules().find((r) => r.id === 'merge-queue-backlog')?.enabled).toBe(false);
    const stored = await store.listRules();
    expect(stored.map((r) => r.id).sort()).toEqual(DEFAULT_RULES.map((r) => r.id).sort());
    // A second start (another node, a restart) adds nothing more and changes nothing.
    await new AlertManager({ store, clock }).load();
    expect(await store.listRules()).toEqual(stored);
  });

  it('resumes a pending alert where it was: it fires at the original activeAt + for', async () => {
    const store = await make();
    const clock = new VirtualClock(T0);
    const first = new AlertManager({ store, clock });
    await first.load();
    const snapshot = (at: number) => ({ at, town: {}, rigs: { alpha: { queue_depth: 9 } } });
    first.evaluate(snapshot(clock.now()));
    const activeAt = clock.now();
    expect(first.activeView().active[0]).toMatchObject({ state: 'pending', activeAt });
    await first.flush();

    await clock.advance(4 * 60_000);
    const second = new AlertManager({ store, clock });
    await second.load();
    expect(second.activeView().active[0]).toMatchObject({ state: 'pending', activeAt });
    await clock.advance(6 * 60_000 - 1);
    second.evaluate(snapshot(clock.now()));
    expect(second.activeView().active[0].state).toBe('pending');
    await clock.advance(1);
    second.evaluate(snapshot(clock.now()));
    expect(second.activeView().active[0]).toMatchObject({ state: 'firing', activeAt, firedAt: activeAt + 10 * 60_000 });
  });
});

describe('the alert webhook', () => {
  let server: Server;
  let url: string;
  let received: WebhookPayload[] = [];
  let failFirst = 0;
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      if (failFirst > 0) {
        failFirst--;
        return res.writeHead(503).end();
      }
      received.push(JSON.parse(body) as WebhookPayload);
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-path`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });
  afterEach(() => {
    received = [];
    failFirst = 0;
  });

  const view = (over: Partial<AlertView> = {}): AlertView => ({ ...alert(), silencedBy: null, inhibitedBy: null, ...over });

  it('POSTs firing then resolved as JSON, retrying with backoff until the receiver answers', async () => {
    failFirst = 2;
    const hook = new WebhookNotifier({ url, baseDelayMs: 10, pageUrl: 'http://town/alerts' });
    hook.notify('firing', view());
    hook.notify('resolved', view({ state: 'resolved', resolvedAt: T0 + 900_000 }));
    await hook.idle();
    expect(received.map((p) => p.status)).toEqual(['firing', 'resolved']); // in order, despite the retries
    expect(received[0]).toMatchObject({
      version: 1,
      url: 'http://town/alerts',
      alert: { id: 'al-1', ruleId: 'merge-queue-backlog', labels: { rig: 'alpha' } },
    });
    const [resolved, fired] = hook.deliveries();
    expect(fired).toMatchObject({ status: 'firing', ok: true, attempts: 3, lastError: null });
    expect(resolved).toMatchObject({ status: 'resolved', ok: true, attempts: 1 });
    expect(hook.stats()).toMatchObject({ target: new URL(url).origin, delivered: 2, failed: 0, retries: 2 });
  });

  it('routes escalations to the same receiver: raised, acknowledged, resolved, in order', async () => {
    const h = await createHarness();
    const town = await h.open();
    const monitoring = createMonitoring({
      town,
      metricsStore: new MemoryMetricsStore(),
      alertStore: new MemoryAlertStore(),
      webhookUrl: url,
      webhook: { baseDelayMs: 5 },
      pageUrl: () => 'http://town:3000/alerts',
    });
    try {
      const e = town.escalations.raise({
        severity: 'high',
        source: 'witness',
        reason: 'furiosa silent for 20 min',
        rig: 'myproject',
      });
      town.escalations.acknowledge(e.id, 'ada');
      town.escalations.resolve(e.id, 'ada');
      await monitoring.webhook!.idle();
      const events = (received as unknown as EscalationPayload[]).filter((p) => p.kind === 'escalation');
      expect(events.map((p) => [p.event, p.escalation.status])).toEqual([
        ['raised', 'open'],
        ['acknowledged', 'acknowledged'],
        ['resolved', 'resolved'],
      ]);
      expect(events[0].escalation).toMatchObject({
        id: e.id,
        severity: 'high',
        source: 'witness',
        reason: 'furiosa silent for 20 min',
      });
      expect(events[2].escalation).toMatchObject({ resolvedBy: 'ada' });
      // The link the server passes once it listens, not null.
      expect(events.map((p) => (p as unknown as { url: string | null }).url)).toEqual(Array(3).fill('http://town:3000/alerts'));
    } finally {
      await monitoring.stop();
      await h.cleanup();
    }
  });

  it('gives up after its attempts and shows the failure', async () => {
    failFirst = 100;
    const failures: unknown[] = [];
    const hook = new WebhookNotifier({ url, baseDelayMs: 5, maxAttempts: 3, onFailure: (d) => failures.push(d) });
    hook.notify('firing', view());
    await hook.idle();
    expect(hook.deliveries()[0]).toMatchObject({ ok: false, attempts: 3, lastError: 'HTTP 503' });
    expect(hook.stats()).toMatchObject({ delivered: 0, failed: 1, retries: 2 });
    expect(failures).toHaveLength(1);
    const down = new WebhookNotifier({ url: 'http://127.0.0.1:1/nobody', baseDelayMs: 5, maxAttempts: 2 });
    down.notify('firing', view());
    await down.idle();
    expect(down.deliveries()[0]).toMatchObject({ ok: false, attempts: 2 });
    expect(down.deliveries()[0].lastError).toMatch(/fetch failed|ECONNREFUSED|TypeError/);
  });
});

describe('alert commands on a town', () => {
  let h: Harness;
  let town: Town;
  afterEach(async () => {
    await town?.stop();
    await h?.cleanup();
  });

  it('edits rules, acknowledges, silences and runs the recommended action, refusing bad input and viewers', async () => {
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    const names = new Set(COMMANDS.map((c) => c.name));
    const monitoring = createMonitoring({
      town,
      metricsStore: new MemoryMetricsStore(),
      alertStore: new MemoryAlertStore(),
      hasCommand: (n) => names.has(n),
    });
    await monitoring.load();
    monitoring.start();
    const bus = createCommandBus({ engine: town, alerts: monitoring.alerts });
    const ada: Actor = { name: 'ada', role: 'operator' };
    const vic: Actor = { name: 'vic', role: 'viewer' };
    const refusal = (name: string, input: unknown, actor: Actor = ada) =>
      bus.execute(name, input, actor).then(
        () => null,
        (e: { code: string; message: string }) => e,
      );

    expect((await refusal('alert.rule.update', { id: 'merge-queue-backlog', forMs: 0 }, vic))?.code).toBe('forbidden');
    expect((await refusal('alert.rule.update', { id: 'merge-queue-backlog', forMs: -1 }))?.code).toBe('invalid');
    expect((await refusal('alert.rule.update', { id: 'merge-queue-backlog' }))?.message).toMatch(/nothing to change/);
    expect((await refusal('alert.rule.update', { id: 'no-such-rule', forMs: 0 }))?.code).toBe('not_found');
    expect(
      (await refusal('alert.rule.create', { id: 'x', name: 'bad', severity: 'warning', scope: 'rig', conditions: [], forMs: 0 }))
        ?.code,
    ).toBe('invalid');
    expect(
      (
        await refusal('alert.rule.create', {
          id: 'big-queue',
          name: 'Big',
          severity: 'loud',
          scope: 'rig',
          conditions: [{ metric: 'queue_depth', op: '>', threshold: 1 }],
          forMs: 0,
        })
      )?.message,
    ).toMatch(/severity/);
    expect(
      (
        await refusal('alert.rule.create', {
          id: 'big-queue',
          name: 'Big',
          severity: 'warning',
          scope: 'rig',
          conditions: [{ metric: 'budget_ratio', op: '>', threshold: 1 }],
          forMs: 0,
        })
      )?.message,
    ).toMatch(/per-rig rule can only watch per-rig metrics/);

    await bus.execute(
      'alert.rule.update',
      { id: 'merge-queue-backlog', conditions: [{ metric: 'queue_depth', op: '>=', threshold: 0 }], forMs: 0 },
      ada,
    );
    monitoring.sampler.sample();
    const [firing] = monitoring.alerts.activeView().active;
    expect(firing).toMatchObject({ ruleId: 'merge-queue-backlog', state: 'firing', labels: { rig: 'myproject' } });
    const scale = firing.recommendations.find((r) => r.kind === 'command')!;
    expect(scale).toMatchObject({ command: 'refinery.scale', input: { rig: 'myproject', workers: 3 } });
    expect(firing.recommendations.find((r) => r.kind === 'link')).toMatchObject({ href: '/rigs/myproject' });

    expect((await refusal('alert.ack', { id: firing.id }, vic))?.code).toBe('forbidden');
    await bus.execute('alert.ack', { id: firing.id }, ada);
    expect(monitoring.alerts.getAlert(firing.id)).toMatchObject({ acknowledgedBy: 'ada' });
    expect((await refusal('alert.silence', { alertId: firing.id, durationMs: 3_600_000 }))?.message).toMatch(/reason/);
    expect((await refusal('alert.silence', { alertId: firing.id, reason: 'deploying', durationMs: 10 }))?.message).toMatch(
      /at least 1 minute/,
    );
    const s = (await bus.execute(
      'alert.silence',
      { alertId: firing.id, reason: 'deploying a fix', durationMs: 3_600_000 },
      ada,
    )) as Silence;
    expect(s.matchers).toEqual([
      { name: 'rule', value: 'merge-queue-backlog' },
      { name: 'rig', value: 'myproject' },
    ]);
    expect(monitoring.alerts.getAlert(firing.id)?.silencedBy).toBe(s.id);
    await bus.execute('silence.expire', { id: s.id }, ada);
    expect(monitoring.alerts.getAlert(firing.id)?.silencedBy).toBeNull();

    // The remedy is an ordinary command that names its target: one click scales the Refinery.
    expect(scale.label).toBe('Scale Refinery workers 1 → 3');
    expect(scale.applied).toBeUndefined();
    await bus.execute(scale.command, scale.input, ada);
    expect(town.rigs.get('myproject')!.settings.refineryWorkers).toBe(3);

    // While its effect is awaited the alert carries it as pending, not a next step: clicking again sets 3 again.
    monitoring.sampler.sample();
    const remedyOf = () => monitoring.alerts.getAlert(firing.id)!.recommendations.find((r) => r.kind === 'command')!;
    expect(remedyOf()).toMatchObject({ label: 'Scale Refinery workers 1 → 3', input: { workers: 3 } });
    expect(remedyOf().applied).toMatchObject({ at: h.clock.now(), status: 'Scaling to 3 — waiting for the queue to drain' });
    await bus.execute(scale.command, scale.input, ada);
    await h.clock.advance(5 * 60_000);
    expect(remedyOf().applied).toBeDefined();
    expect(town.rigs.get('myproject')!.settings.refineryWorkers).toBe(3);
    // Still firing once the settle time is over: the next step is offered.
    await h.clock.advance(REMEDY_SETTLE_MS);
    expect(remedyOf()).toMatchObject({ label: 'Scale Refinery workers 3 → 5', input: { workers: 5 } });
    expect(remedyOf().applied).toBeUndefined();

    await bus.execute('alert.rules.reset', {}, ada);
    expect(monitoring.alerts.listRules().find((r) => r.id === 'merge-queue-backlog')).toEqual(DEFAULT_RULES[0]);
    // The queue is empty, so the default threshold does not hold: it keeps firing 2 minutes, then resolves.
    expect(monitoring.alerts.activeView().active[0]).toMatchObject({ state: 'firing', keepFiringSince: h.clock.now() });
    await h.clock.advance(2 * 60_000);
    expect(monitoring.alerts.activeView().active).toEqual([]);
    expect((await monitoring.alerts.listAlerts({ states: ['resolved'] }))[0]).toMatchObject({
      id: firing.id,
      acknowledgedBy: 'ada',
    });
    await town.settle();
    const audit = await h.store.listAudit(50);
    expect(audit.filter((a) => a.action.startsWith('alert.') || a.action.startsWith('silence.')).length).toBeGreaterThanOrEqual(
      10,
    );
    expect(audit.find((a) => a.action === 'alert.ack' && a.ok)).toMatchObject({ actor: 'ada' });
    await monitoring.stop();
  });
});
