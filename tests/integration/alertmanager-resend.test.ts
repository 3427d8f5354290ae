/**
 * The Alertmanager protocol over time, against a real Alertmanager: a firing alert is
 * re-posted every resend interval (its endsAt moves on, so Alertmanager keeps it active),
 * a town silence stops the re-posts (Alertmanager's copy runs out at its endsAt and drops
 * off its active list) and its end brings them back. The alert manager, its rules and its
 * silences are the product's own, fed metric snapshots on a virtual clock; the interval is
 * shortened from Prometheus's minute to 400 ms of real time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerNotifier } from '@/server/alerts/alertmanager';
import { AlertManager } from '@/server/alerts/manager';
import { MemoryAlertStore } from '@/server/alerts/store';
import { VirtualClock } from '@/server/engine/clock';
import { requireTools, startAlertmanager, until, type AmAlert, type RunningAlertmanager } from '../support/prometheus-tools';

requireTools();

const MINUTE = 60_000;
let tmp: string;
let recorder: Server;
let am: RunningAlertmanager;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gt-am-resend-'));
  recorder = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  am = await startAlertmanager(tmp, `http://127.0.0.1:${(recorder.address() as { port: number }).port}/`);
}, 60_000);

afterAll(async () => {
  await am?.stop();
  await new Promise((resolve) => recorder?.close(resolve));
  await rm(tmp, { recursive: true, force: true });
});

describe('re-posting firing alerts to Alertmanager', () => {
  it('keeps a firing alert active by re-posting it, stops while the town silences it, and resumes after', async () => {
    const clock = new VirtualClock();
    // Each reads the other, once both exist (as server/metrics/monitoring.ts wires them).
    const notifier: AlertmanagerNotifier = new AlertmanagerNotifier({
      urls: [am.url],
      town: 'resend-town',
      resendMs: 400,
      current: (id) => alerts.getAlert(id),
    });
    const alerts = new AlertManager({
      store: new MemoryAlertStore(),
      clock,
      notify: (status, alert) => notifier.notify(status, alert),
    });
    await alerts.load();
    // merge-queue-backlog: more than 5 queued for 10 minutes, on rig `a`.
    const t0 = clock.now();
    alerts.evaluate({ at: t0, town: {}, rigs: { a: { queue_depth: 9 } } });
    alerts.evaluate({ at: t0 + 10 * MINUTE, town: {}, rigs: { a: { queue_depth: 9 } } });
    notifier.start();
    try {
      const find = async (): Promise<AmAlert | undefined> =>
        (await am.alerts()).find((a) => a.labels.alertname === 'MergeQueueBacklog' && a.labels.rig === 'a');
      const first = await until('the alert in Alertmanager', find);
      expect(first.status.state).toBe('active');
      expect(first.labels).toEqual({ alertname: 'MergeQueueBacklog', rig: 'a', severity: 'warning', town: 'resend-town' });
      // Re-posted: Alertmanager's endsAt for it moves later, and it stays active past the first endsAt.
      const firstEnd = new Date(first.endsAt).getTime();
      const later = await until('a re-post to move endsAt on', async () => {
        const a = await find();
        return a && new Date(a.endsAt).getTime() > firstEnd ? a : undefined;
      });
      expect(later.startsAt).toBe(first.startsAt);
      await until('Alertmanager to keep it active past its first endsAt', async () =>
        Date.now() > firstEnd + 500 && (await find())?.status.state === 'active' ? true : undefined,
      );

      // Silenced in the town: no more re-posts, so Alertmanager's copy runs out.
      const silence = alerts.createSilence(
        { matchers: [{ name: 'rig', value: 'a' }], reason: 'maintenance', durationMs: 60 * MINUTE },
        'operator',
      );
      await until('the copy in Alertmanager to run out', async () => {
        const a = await find();
        return !a || new Date(a.endsAt).getTime() <= Date.now() ? true : undefined;
      });
      expect(notifier.stats().firing).toBe(1);

      // The silence ends: the next round posts it again, active.
      alerts.expireSilence(silence.id, 'operator');
      await until('the alert active again', async () => ((await find())?.status.state === 'active' ? true : undefined));
      expect(notifier.stats().failed).toBe(0);
    } finally {
      notifier.stop();
      await notifier.idle();
    }
  }, 120_000);

  it("names the posting node in a cluster, so two nodes' alerts stay apart", async () => {
    const clock = new VirtualClock();
    const notifier: AlertmanagerNotifier = new AlertmanagerNotifier({ urls: [am.url], town: 'node-town', node: 'east-1' });
    const alerts = new AlertManager({
      store: new MemoryAlertStore(),
      clock,
      notify: (status, alert) => notifier.notify(status, alert),
    });
    await alerts.load();
    const t0 = clock.now();
    alerts.evaluate({ at: t0, town: {}, rigs: { b: { queue_depth: 9 } } });
    alerts.evaluate({ at: t0 + 10 * MINUTE, town: {}, rigs: { b: { queue_depth: 9 } } });
    const posted = await until('the alert in Alertmanager', async () =>
      (await am.alerts()).find((a) => a.labels.town === 'node-town' && a.labels.rig === 'b'),
    );
    expect(posted.labels).toEqual({
      alertname: 'MergeQueueBacklog',
      rig: 'b',
      severity: 'warning',
      town: 'node-town',
      node: 'east-1',
    });
    await notifier.idle();
  });
});
