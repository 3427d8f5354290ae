/**
 * The town with the operator's own monitoring tools, all real processes (Debian's
 * prometheus and prometheus-alertmanager; scripts/ensure-prometheus.mjs installs them):
 *
 * - an alert fired on the scaled clock reaches a real Alertmanager (one of an HA pair whose
 *   other member is down: that failure is retried and shown), is listed by its
 *   `GET /api/v2/alerts` with the town's labels, and is resolved there when it resolves in
 *   the town (Alertmanager's own receiver is told "resolved");
 * - `promtool check metrics` accepts a live scrape, and `promtool check rules` the rule file
 *   the town exports;
 * - a real Prometheus scraping the server with the viewer token, evaluating that file,
 *   fires the queue-depth rule on the same rig as the town's own alert.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertmanagerStatus, AlertsView } from '@/contracts/alerts';
import { grafanaDashboard } from '@/server/metrics/grafana';
import { startTestServer, type TestServer } from '../support/http-server';
import {
  freePort,
  requireTools,
  startAlertmanager,
  startTool,
  until,
  type RunningAlertmanager,
  type Tool,
} from '../support/prometheus-tools';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OPERATOR = 'operator-token-monitoring-tools';
const VIEWER = 'viewer-token-monitoring-tools';
const TOWN = 'tools-town';
const RIG = 'myproject';
/** Next compiles each route on its first request without a production build: minutes on a busy machine. */
const SLOW_MS = 300_000;

requireTools();

let tmp: string;
let server: TestServer;
let alertmanager: RunningAlertmanager;
let prometheus: Tool | undefined;
let amUrl: string;
let deadUrl: string;
let recorder: Server;
/** What Alertmanager's webhook receiver was told: one notification per group flush. */
const notifications: Array<{ status: string; alerts: Array<{ status: string; labels: Record<string, string> }> }> = [];

const api = async <T>(route: string, init: { token?: string; method?: string; body?: unknown } = {}): Promise<T> => {
  const send = () =>
    fetch(server.url + route, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${init.token ?? VIEWER}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(SLOW_MS),
    });
  // A keep-alive socket the server closed while this process was blocked (spawnSync) fails
  // before the request is read: sent again once, on a fresh socket (the requests here are repeatable).
  const res = await send().catch((err: { cause?: { code?: string } }) => {
    if (err.cause?.code === 'UND_ERR_SOCKET') return send();
    throw err;
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${route}: HTTP ${res.status} ${text.slice(0, 500)}`);
  return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gt-tools-'));
  recorder = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      notifications.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  const recorderUrl = `http://127.0.0.1:${(recorder.address() as { port: number }).port}/`;
  alertmanager = await startAlertmanager(tmp, recorderUrl);
  amUrl = alertmanager.url;
  // The other member of the "HA pair": nothing listens there.
  deadUrl = `http://127.0.0.1:${await freePort()}`;
  server = await startTestServer({
    env: {
      GT_AUTH: 'on',
      GT_OPERATOR_TOKEN: OPERATOR,
      GT_VIEWER_TOKEN: VIEWER,
      GT_DEMO: '1',
      GT_DEMO_RIGS: '1',
      GT_DEMO_POLECATS: '2',
      // A real minute is an engine hour: a `for` of minutes passes in seconds.
      GT_TIME_SCALE: '60',
      GT_TOWN_NAME: TOWN,
      GT_ALERTMANAGER_URL: `${amUrl},${deadUrl}`,
    },
  });
}, SLOW_MS);

afterAll(async () => {
  await prometheus?.stop();
  await server?.stop();
  await alertmanager?.stop();
  await new Promise((resolve) => recorder?.close(resolve));
  await rm(tmp, { recursive: true, force: true });
});

const amAlerts = () => alertmanager.alerts();
const townAlert = async () =>
  (await api<AlertsView>('/api/alerts/active')).active.find((a) => a.ruleId === 'merge-queue-backlog' && a.labels.rig === RIG);

describe('the town with real Prometheus tools', () => {
  it(
    'posts an alert fired on the scaled clock to Alertmanager with its labels; the dead member of the pair is retried and shown failed',
    async () => {
      // The backlog rule made to hold on any queue, with a `for` of two engine minutes (two real seconds).
      await api(`/api/alerts/rules/merge-queue-backlog`, {
        token: OPERATOR,
        method: 'PATCH',
        body: { conditions: [{ metric: 'queue_depth', op: '>=', threshold: 0 }], forMs: 120_000, keepFiringForMs: 0 },
      });
      const fired = await until(
        'the town to fire merge-queue-backlog',
        async () => {
          const a = await townAlert();
          return a?.state === 'firing' ? a : undefined;
        },
        SLOW_MS,
      );
      expect(fired.firedAt! - fired.activeAt).toBeGreaterThanOrEqual(120_000);

      const inAm = await until('Alertmanager to list the alert', async () =>
        (await amAlerts()).find((a) => a.labels.alertname === 'MergeQueueBacklog' && a.labels.rig === RIG),
      );
      expect(inAm.labels).toEqual({ alertname: 'MergeQueueBacklog', rig: RIG, severity: 'warning', town: TOWN });
      expect(inAm.status.state).toBe('active');
      expect(inAm.annotations.summary).toContain('Merge queue backlog');
      expect(inAm.annotations.description).toContain('merge queue');
      expect(inAm.annotations.link).toMatch(/\/alerts$/);
      expect(new Date(inAm.endsAt).getTime()).toBeGreaterThan(Date.now());
      await until('Alertmanager to notify its receiver of the firing alert', async () =>
        notifications.find((n) => n.status === 'firing' && n.alerts.some((a) => a.labels.alertname === 'MergeQueueBacklog')),
      );

      // The dead member of the pair: retried, then shown as failed (the page reads this route).
      const status = await until(
        'the delivery to the dead Alertmanager to fail',
        async () => {
          const s = await api<AlertmanagerStatus>('/api/alerts/alertmanager');
          return s.deliveries.some((d) => d.target === deadUrl && d.ok === false) ? s : undefined;
        },
        60_000,
      );
      expect(status.stats!.targets).toEqual([amUrl, deadUrl]);
      const dead = status.deliveries.find((d) => d.target === deadUrl && d.ok === false)!;
      expect(dead.attempts).toBeGreaterThan(1);
      expect(dead.lastError).toMatch(/fetch failed|ECONNREFUSED/i);
      expect(status.deliveries.some((d) => d.target === amUrl && d.ok === true && d.status === 'firing')).toBe(true);
      expect(status.stats!.failed).toBeGreaterThanOrEqual(1);
    },
    SLOW_MS,
  );

  it(
    'serves a /metrics that promtool checks without a note, and a rule file promtool accepts',
    async () => {
      const scrape = await api<string>('/metrics');
      const check = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`).toBe('');
      expect(check.status).toBe(0);
      expect(scrape).toMatch(/^# TYPE gt_merge_queue_wait_seconds histogram$/m);
      expect(scrape).toMatch(/^# TYPE gt_check_duration_seconds histogram$/m);
      expect(scrape).toMatch(/^gt_alertmanager_deliveries_total\{result="failed"\} [1-9]/m);
      // Every metric the Grafana dashboard queries is one this server serves.
      const served = new Set(
        [...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, n, t]) =>
          t === 'histogram' ? [n, `${n}_bucket`, `${n}_sum`, `${n}_count`] : [n],
        ),
      );
      for (const p of grafanaDashboard().panels)
        for (const t of p.targets) for (const [m] of t.expr.matchAll(/\bgt_[a-z0-9_]+/g)) expect(served, p.title).toContain(m);

      const rules = await api<string>('/api/alerts/rules?format=prometheus');
      expect(rules).toContain('alert: MergeQueueBacklog');
      expect(rules).toContain(`town: ${TOWN}`);
      const file = path.join(tmp, 'rules.yml');
      await writeFile(file, rules);
      const checked = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      // One Prometheus rule per enabled rule of the town: none dropped on the way.
      const enabled = (await api<Array<{ enabled: boolean }>>('/api/alerts/rules')).filter((r) => r.enabled).length;
      expect(enabled).toBeGreaterThanOrEqual(9);
      expect(checked.stdout + checked.stderr).toContain(`SUCCESS: ${enabled} rules found`);
      expect(checked.status).toBe(0);

      // The CLI prints the same file; a format it does not know is refused before any request.
      const gt = (args: string[]) =>
        spawnSync(process.execPath, [path.join(ROOT, 'bin', 'gt.mjs'), ...args], {
          encoding: 'utf8',
          env: { ...process.env, GT_URL: server.url, GT_TOKEN: VIEWER },
          timeout: SLOW_MS,
        });
      const cli = gt(['alerts', 'rules', '--format', 'prometheus']);
      expect(cli.stderr).toBe('');
      expect(cli.stdout).toBe(rules);
      const bad = gt(['alerts', 'rules', '--format', 'yaml']);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/table, json, prometheus/);
    },
    SLOW_MS,
  );

  it(
    "has a real Prometheus, scraping with the viewer token, fire the exported queue-depth rule as the town's alert fires",
    async () => {
      // Without a `for` now, so Prometheus (in real time) and the town (in engine time) agree at once.
      await api(`/api/alerts/rules/merge-queue-backlog`, { token: OPERATOR, method: 'PATCH', body: { forMs: 0 } });
      await writeFile(path.join(tmp, 'rules.yml'), await api<string>('/api/alerts/rules?format=prometheus'));
      await writeFile(
        path.join(tmp, 'prometheus.yml'),
        [
          'global:',
          '  scrape_interval: 1s',
          '  evaluation_interval: 1s',
          'rule_files:',
          `  - ${path.join(tmp, 'rules.yml')}`,
          'scrape_configs:',
          '  - job_name: gastown',
          '    authorization:',
          '      type: Bearer',
          `      credentials: ${VIEWER}`,
          '    static_configs:',
          `      - targets: ['127.0.0.1:${server.port}']`,
          '',
        ].join('\n'),
      );
      const port = await freePort();
      prometheus = startTool('prometheus', [
        `--config.file=${path.join(tmp, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(tmp, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ]);
      const prom = `http://127.0.0.1:${port}`;
      type PromAlert = { labels: Record<string, string>; state: string };
      const firing = await until(
        'Prometheus to fire MergeQueueBacklog',
        async () => {
          const body = (await (await fetch(`${prom}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } };
          const list = body.data.alerts.filter((a) => a.labels.alertname === 'MergeQueueBacklog' && a.state === 'firing');
          return list.length > 0 ? list : undefined;
        },
        120_000,
      ).catch((err) => {
        throw new Error(`${String(err)}\n${prometheus!.output().slice(-3000)}`);
      });
      // The scrape worked with the viewer token (the target is up), and both fire on the same rig.
      const up = (await (await fetch(`${prom}/api/v1/query?query=up`)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      expect(up.data.result.map((r) => r.value[1])).toEqual(['1']);
      expect(firing.map((a) => a.labels.rig)).toEqual([RIG]);
      expect(firing[0].labels).toMatchObject({ severity: 'warning', town: TOWN });
      expect((await townAlert())?.state).toBe('firing');
    },
    SLOW_MS,
  );

  it(
    'tells Alertmanager the alert resolved when it resolves in the town',
    async () => {
      await api(`/api/alerts/rules/merge-queue-backlog`, { token: OPERATOR, method: 'PATCH', body: { enabled: false } });
      await until('the town to resolve it', async () => ((await townAlert()) ? undefined : true));
      // Posted with endsAt = now: Alertmanager drops it from its active alerts and tells its receiver.
      await until('Alertmanager to stop listing it as active', async () => {
        const a = (await amAlerts()).find((x) => x.labels.alertname === 'MergeQueueBacklog' && x.labels.rig === RIG);
        return !a || new Date(a.endsAt).getTime() <= Date.now() ? true : undefined;
      });
      const resolved = await until('Alertmanager to notify the resolution', async () =>
        notifications.find((n) => n.status === 'resolved' && n.alerts.some((a) => a.labels.alertname === 'MergeQueueBacklog')),
      );
      expect(resolved.alerts.find((a) => a.labels.alertname === 'MergeQueueBacklog')!.labels).toMatchObject({
        rig: RIG,
        town: TOWN,
      });
      const status = await api<AlertmanagerStatus>('/api/alerts/alertmanager');
      expect(status.deliveries.some((d) => d.target === amUrl && d.status === 'resolved' && d.ok === true)).toBe(true);
    },
    SLOW_MS,
  );

  it(
    'serves the favicon and the app icon without a token, and names the town in the alerts view',
    async () => {
      for (const route of ['/favicon.ico', '/icon.svg', '/apple-icon.png']) {
        const res = await fetch(server.url + route, { signal: AbortSignal.timeout(SLOW_MS) });
        expect(res.status, route).toBe(200);
        expect(res.headers.get('content-type'), route).toMatch(/^image\//);
      }
      expect((await api<AlertsView>('/api/alerts/active')).town).toBe(TOWN);
    },
    SLOW_MS,
  );
});
