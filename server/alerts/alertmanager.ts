/**
 * The town's alerts in the operator's Alertmanager (GT_ALERTMANAGER_URL, one URL or an HA
 * pair comma-separated): each firing alert is POSTed to `/api/v2/alerts` of every
 * Alertmanager, re-posted while it fires, and posted once more with `endsAt` = now when
 * it resolves. Alertmanager then groups, inhibits, silences and routes it to Slack,
 * PagerDuty or email like the alerts its Prometheus sends.
 *
 * The protocol is Prometheus's own: a client re-sends what is active every `resend`
 * interval (Prometheus's `--rules.alert.resend-delay`, 1 min), each time with `endsAt` 4
 * intervals ahead, so an Alertmanager that stops hearing from a dead town resolves its
 * alerts by itself rather than keeping them forever. Labels identify an alert (alertname,
 * rig, severity, town, and node in a cluster); annotations carry what people read (summary, description, the
 * remedies, a link to the alerts page).
 *
 * Deliveries are retried with the webhook's backoff and kept in a bounded log (per
 * Alertmanager) that the alerts page shows. Times are wall-clock: Alertmanager lives in
 * real time, whatever the engine's GT_TIME_SCALE.
 */
import type { AlertmanagerDelivery, AlertmanagerStatus, AlertView } from '../../contracts/alerts';
import { backoffMs } from '../engine/backoff';
import { KeyedSerialQueue } from '../engine/serial-queue';
import { RetrySleeps } from './retry-sleeps';

/** Prometheus's default resend delay: how often a firing alert is posted again. */
export const RESEND_MS = 60_000;
/** Prometheus sets endsAt this many resend intervals ahead of each post. */
const ENDS_AT_INTERVALS = 4;
const LOG_SIZE = 100;

/** What Alertmanager's API v2 takes: one element of the POST /api/v2/alerts array. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface AlertmanagerOptions {
  /** Base URLs, e.g. http://alertmanager:9093 (the API path is added). */
  urls: readonly string[];
  /** The `town` label. */
  town: string;
  /** The `node` label: which node of a cluster posted it (absent on one server). */
  node?: string;
  /** The alerts page's URL: the annotation `link` and the generatorURL. */
  pageUrl?: string | null | (() => string | null);
  /** A rule's description, for the annotation (the alert carries only the rule's name). */
  describe?: (ruleId: string) => string | undefined;
  /**
   * The alert as it is now (summary, remedies, whether a town silence mutes it), read at
   * each resend. A muted alert is not re-posted (its Alertmanager copy runs out at its
   * endsAt) and comes back once the silence ends; an alert gone from play is dropped.
   */
  current?: (alertId: string) => AlertView | undefined;
  resendMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  onFailure?: (delivery: AlertmanagerDelivery) => void;
}

/** `merge-queue-backlog` -> `MergeQueueBacklog`: the alertname, the same as the exported rule file's. */
export function alertName(ruleId: string): string {
  return ruleId
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** Parses GT_ALERTMANAGER_URL: http(s) URLs, comma-separated; returns the problem or the list. */
export function parseAlertmanagerUrls(value: string): { urls: string[] } | { problem: string } {
  const urls: string[] = [];
  for (const part of value.split(',').map((s) => s.trim())) {
    if (!part) continue;
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      return { problem: `'${part.slice(0, 80)}' is not a URL` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `'${url.origin}' is not http(s)` };
    urls.push(url.href.replace(/\/+$/, ''));
  }
  if (urls.length === 0) return { problem: 'no URL given' };
  if (urls.length > 5) return { problem: 'at most 5 Alertmanagers' };
  return { urls };
}

export class AlertmanagerNotifier {
  /** Firing alerts that were notified, by alert id, with the wall-clock time they were first posted. */
  private readonly firing = new Map<string, { alert: AlertView; startsAt: number }>();
  private readonly log: AlertmanagerDelivery[] = [];
  /** Posts to one Alertmanager go out in order (a resolution never overtakes its firing). */
  private readonly perTarget = new KeyedSerialQueue();
  private nextId = 1;
  private counts = { delivered: 0, failed: 0, retries: 0 };
  private stopped = false;
  private resendTimer: NodeJS.Timeout | null = null;
  private readonly sleeps = new RetrySleeps();
  private readonly resendMs: number;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: AlertmanagerOptions) {
    this.resendMs = options.resendMs ?? RESEND_MS;
    this.doFetch = options.fetch ?? fetch;
  }

  /** The Alertmanagers without path and query (which may carry credentials). */
  get targets(): string[] {
    return this.options.urls.map(originOf);
  }

  /** Told by the alert manager: a firing alert nothing mutes, or the resolution of one it was told of. */
  notify(status: 'firing' | 'resolved', alert: AlertView): void {
    const now = Date.now();
    if (status === 'firing') {
      const startsAt = this.firing.get(alert.id)?.startsAt ?? now;
      this.firing.set(alert.id, { alert, startsAt });
      this.post([this.postable(alert, startsAt, now + ENDS_AT_INTERVALS * this.resendMs)], alert, 'firing');
    } else {
      const startsAt = this.firing.get(alert.id)?.startsAt ?? now;
      this.firing.delete(alert.id);
      this.post([this.postable(alert, startsAt, now)], alert, 'resolved');
    }
  }

  /** Re-posts every firing alert (all in one request per Alertmanager) every `resendMs` of real time. */
  start(): void {
    if (this.resendTimer || this.stopped) return;
    this.resendTimer = setInterval(() => this.resend(), this.resendMs);
    this.resendTimer.unref();
  }

  /** One resend round now (the timer's step). */
  resend(): void {
    if (this.firing.size === 0) return;
    const now = Date.now();
    const endsAt = now + ENDS_AT_INTERVALS * this.resendMs;
    const batch: PostableAlert[] = [];
    for (const [id, entry] of this.firing) {
      const alert = this.options.current ? this.options.current(id) : entry.alert;
      if (!alert || alert.state !== 'firing') {
        this.firing.delete(id);
        continue;
      }
      entry.alert = alert;
      if (!alert.silencedBy && !alert.inhibitedBy) batch.push(this.postable(alert, entry.startsAt, endsAt));
    }
    if (batch.length > 0) this.post(batch, null, 'firing');
  }

  private postable(alert: AlertView, startsAt: number, endsAt: number): PostableAlert {
    const page = this.pageUrl();
    const labels: Record<string, string> = {
      alertname: alertName(alert.ruleId),
      ...(alert.labels.rig ? { rig: alert.labels.rig } : {}),
      severity: alert.severity,
      town: this.options.town,
      ...(this.options.node ? { node: this.options.node } : {}),
    };
    const remedy = alert.recommendations.map((r) => `${r.label}: ${r.why}`).join('\n');
    const annotations: Record<string, string> = {
      summary: `${alert.ruleName}: ${alert.summary}`,
      description: this.options.describe?.(alert.ruleId) ?? alert.ruleName,
      ...(remedy ? { remedy } : {}),
      ...(page ? { link: page } : {}),
    };
    return {
      labels,
      annotations,
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(Math.max(endsAt, startsAt)).toISOString(),
      ...(page ? { generatorURL: page } : {}),
    };
  }

  private pageUrl(): string | null {
    const { pageUrl } = this.options;
    return (typeof pageUrl === 'function' ? pageUrl() : pageUrl) ?? null;
  }

  /** One POST per Alertmanager, each its own delivery (an HA pair: one may be down). */
  private post(alerts: PostableAlert[], about: AlertView | null, status: 'firing' | 'resolved'): void {
    if (this.stopped) return;
    const body = JSON.stringify(alerts);
    for (const url of this.options.urls) {
      const delivery: AlertmanagerDelivery = {
        id: this.nextId++,
        alertId: about?.id ?? `${alerts.length} firing`,
        ruleId: about?.ruleId ?? 'resend',
        status,
        attempts: 0,
        ok: null,
        lastError: null,
        firstAttemptAt: Date.now(),
        lastAttemptAt: null,
        target: originOf(url),
        alerts: alerts.length,
      };
      this.keep(delivery);
      void this.perTarget.run(url, () => this.deliver(url, delivery, body));
    }
  }

  /** Newest first; a resend round takes the place of the previous one to the same target, so resends do not flood the log. */
  private keep(delivery: AlertmanagerDelivery): void {
    if (delivery.ruleId === 'resend') {
      const i = this.log.findIndex((d) => d.ruleId === 'resend' && d.target === delivery.target && d.ok !== false);
      if (i >= 0) this.log.splice(i, 1);
    }
    this.log.unshift(delivery);
    if (this.log.length > LOG_SIZE) this.log.length = LOG_SIZE;
  }

  private async deliver(url: string, delivery: AlertmanagerDelivery, body: string): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (;;) {
      if (this.stopped) {
        delivery.ok = false;
        delivery.lastError ??= 'server stopped before delivery';
        return;
      }
      delivery.attempts++;
      delivery.lastAttemptAt = Date.now();
      try {
        const res = await this.doFetch(`${url}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'gastown-fleet-alerts/1' },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
        });
        if (res.ok) {
          delivery.ok = true;
          delivery.lastError = null;
          this.counts.delivered++;
          return;
        }
        // Alertmanager says why it refused (a 400 names the bad field): keep a bounded line of it.
        const reason = (await res.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 200);
        delivery.lastError = `HTTP ${res.status}${reason ? `: ${reason}` : ''}`;
      } catch (err) {
        delivery.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      if (delivery.attempts >= maxAttempts) {
        delivery.ok = false;
        this.counts.failed++;
        this.options.onFailure?.({ ...delivery });
        return;
      }
      this.counts.retries++;
      await this.sleeps.sleep(backoffMs(delivery.attempts - 1, { baseMs: this.options.baseDelayMs ?? 1_000 }));
    }
  }

  /** Newest first, bounded. */
  deliveries(): AlertmanagerDelivery[] {
    return this.log.map((d) => ({ ...d }));
  }

  stats(): NonNullable<AlertmanagerStatus['stats']> {
    return {
      targets: this.targets,
      firing: this.firing.size,
      ...this.counts,
      inFlight: this.log.filter((d) => d.ok === null).length,
    };
  }

  async idle(): Promise<void> {
    await this.perTarget.drain();
  }

  /** Stops resending and retrying (waiting retries end at once, marked failed). */
  stop(): void {
    this.stopped = true;
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.resendTimer = null;
    this.sleeps.wakeAll();
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
