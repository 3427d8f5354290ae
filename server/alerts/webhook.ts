/**
 * The outgoing webhook (GT_ALERT_WEBHOOK_URL): a JSON POST when an alert fires and when it
 * resolves, and when an escalation is raised, raised a level, acknowledged or resolved, retried with exponential backoff (1 s, 2 s, 4 s, 8 s by default), each attempt
 * with a timeout. Deliveries of one alert go out in order (its "resolved" never overtakes
 * its "firing"). Every delivery is kept in a bounded log with its attempts and last error,
 * which the alerts page and /api/alerts/webhook show and /metrics counts: a receiver that
 * is down is visible, not silent.
 *
 * Network time is real time on purpose: a receiver's outage does not speed up with the
 * engine's GT_TIME_SCALE.
 */
import type { Escalation } from '../../contracts/records';
import { backoffMs } from '../engine/backoff';
import { KeyedSerialQueue } from '../engine/serial-queue';
import type { AlertView, Delivery, EscalationEvent } from '../../contracts/alerts';
import { RetrySleeps } from './retry-sleeps';

/** What an escalation sends: its event and the record as it is now. */
export interface EscalationPayload {
  version: 1;
  kind: 'escalation';
  event: EscalationEvent;
  escalation: Escalation;
  url: string | null;
  sentAt: number;
}

export interface WebhookPayload {
  version: 1;
  kind: 'alert';
  status: 'firing' | 'resolved';
  alert: AlertView;
  /** Where to see it: the alerts page of this town (when the server knows its URL). */
  url: string | null;
  /** Wall-clock ms the delivery was first attempted. */
  sentAt: number;
}

export interface WebhookOptions {
  url: string;
  /** Link to the alerts page, carried in the payload (a function: known once the server listens). */
  pageUrl?: string | null | (() => string | null);
  maxAttempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  onFailure?: (delivery: Delivery) => void;
}

const LOG_SIZE = 100;

export class WebhookNotifier {
  private readonly log: Delivery[] = [];
  /** Deliveries of one alert go out in order; different alerts' concurrently. */
  private readonly perAlert = new KeyedSerialQueue();
  private nextId = 1;
  private counts = { delivered: 0, failed: 0, retries: 0 };
  private stopped = false;
  /** Backoff waits in progress; `stop` ends them at once. */
  private readonly sleeps = new RetrySleeps();
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: WebhookOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.doFetch = options.fetch ?? fetch;
  }

  /** The receiver without its path and query (which often carry a secret, as Slack's do). */
  get target(): string {
    try {
      return new URL(this.options.url).origin;
    } catch {
      return '(invalid URL)';
    }
  }

  private pageUrl(): string | null {
    const { pageUrl } = this.options;
    return (typeof pageUrl === 'function' ? pageUrl() : pageUrl) ?? null;
  }

  notify(status: 'firing' | 'resolved', alert: AlertView): void {
    this.enqueue(alert.id, alert.ruleId, status, (sentAt) => ({
      version: 1,
      kind: 'alert',
      status,
      alert,
      url: this.pageUrl(),
      sentAt,
    }));
  }

  /** Routes an escalation to the receiver (the dashboard and the event log have it already). */
  notifyEscalation(event: EscalationEvent, escalation: Escalation): void {
    this.enqueue(escalation.id, 'escalation', event, (sentAt) => ({
      version: 1,
      kind: 'escalation',
      event,
      escalation,
      url: this.pageUrl(),
      sentAt,
    }));
  }

  /** Deliveries about one alert or escalation go out in order. */
  private enqueue(
    key: string,
    ruleId: string,
    status: Delivery['status'],
    payload: (sentAt: number) => WebhookPayload | EscalationPayload,
  ): void {
    if (this.stopped) return;
    const delivery: Delivery = {
      id: this.nextId++,
      alertId: key,
      ruleId,
      status,
      attempts: 0,
      ok: null,
      lastError: null,
      firstAttemptAt: Date.now(),
      lastAttemptAt: null,
    };
    this.log.unshift(delivery);
    if (this.log.length > LOG_SIZE) this.log.length = LOG_SIZE;
    const body = JSON.stringify(payload(delivery.firstAttemptAt));
    void this.perAlert.run(key, () => this.deliver(delivery, body));
  }

  private async deliver(delivery: Delivery, body: string): Promise<void> {
    for (;;) {
      if (this.stopped) {
        delivery.ok = false;
        delivery.lastError ??= 'server stopped before delivery';
        return;
      }
      delivery.attempts++;
      delivery.lastAttemptAt = Date.now();
      try {
        const res = await this.doFetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'gastown-fleet-alerts/1' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (res.ok) {
          delivery.ok = true;
          delivery.lastError = null;
          this.counts.delivered++;
          return;
        }
        delivery.lastError = `HTTP ${res.status}`;
      } catch (err) {
        delivery.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      if (delivery.attempts >= this.maxAttempts) {
        delivery.ok = false;
        this.counts.failed++;
        this.options.onFailure?.(delivery);
        return;
      }
      this.counts.retries++;
      // The engine's retry schedule, from baseDelayMs: base, 2 base, 4 base ... (capped at a minute).
      await this.sleeps.sleep(backoffMs(delivery.attempts - 1, { baseMs: this.baseDelayMs }));
    }
  }

  /** Newest first, bounded. */
  deliveries(): Delivery[] {
    return this.log.map((d) => ({ ...d }));
  }

  stats(): { target: string; delivered: number; failed: number; retries: number; inFlight: number } {
    return { target: this.target, ...this.counts, inFlight: this.log.filter((d) => d.ok === null).length };
  }

  /** Waits for deliveries in progress (tests, shutdown after `stop`). */
  async idle(): Promise<void> {
    await this.perAlert.drain();
  }

  /** Stops retrying: waiting retries end at once, marked failed. */
  stop(): void {
    this.stopped = true;
    this.sleeps.wakeAll();
  }
}
