/**
 * Alert rules, alerts, silences, recommendations and webhook deliveries as plain, serialisable records (what the store
 * persists, the API answers and the socket pushes). Times are engine-clock ms.
 */
import type { MetricName } from './metrics';

/** A remedy from the seed, offered on the alert: one click runs a command or opens a page. */
export type Recommendation = {
  /** Names the target it sets: "Scale Refinery workers 1 → 3". */
  label: string;
  /** Why this helps, in the seed's words. */
  why: string;
  /**
   * Set once the state the remedy sets holds (whoever set it: this button, the rig page, the
   * CLI) while the alert still fires: its effect is awaited, so it is not offered again (nor
   * a bigger step) until the alert resolves or `until` passes with the alert still firing.
   */
  applied?: RemedyApplied;
} & ({ kind: 'command'; command: string; input: Record<string, unknown> } | { kind: 'link'; href: string });

export interface RemedyApplied {
  /** Engine time the alert first saw the remedy's state hold. */
  at: number;
  /** Engine time after which, still firing, the alert offers the next step. */
  until: number;
  /** What is awaited, as every page and the CLI say it: "Scaling to 3 — waiting for the queue to drain". */
  status: string;
}

/** One episode of an alert, from the moment its condition held to its resolution. */
export interface Alert {
  id: string;
  ruleId: string;
  ruleName: string;
  severity: Severity;
  /** `{ rig }` for a per-rig rule; `{}` for a town-wide one. */
  labels: Record<string, string>;
  state: 'pending' | 'firing' | 'resolved';
  /** "Merge queue depth 7 > 5 on myproject" as of the last evaluation. */
  summary: string;
  /** The first condition's metric value at the last evaluation. */
  value: number | null;
  activeAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
  keepFiringSince: number | null;
  lastEvaluatedAt: number;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  /** Whether the webhook was told it fired. */
  notified: boolean;
  recommendations: Recommendation[];
}

export interface SilenceMatcher {
  /** `rule` (the rule id), `severity`, or a label such as `rig`. */
  name: string;
  value: string;
}

/** Mutes matching alerts (no banner, no webhook) from startsAt until endsAt. */
export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  reason: string;
  createdBy: string;
  createdAt: number;
  startsAt: number;
  endsAt: number;
  /** Who ended it before its time, if anyone (endsAt is then when they did). */
  expiredBy: string | null;
}

/** An alert as the pages show it: with whether a silence or a more severe alert mutes it. */
export interface AlertView extends Alert {
  silencedBy: string | null;
  inhibitedBy: string | null;
}

export type AlertChange =
  | { type: 'pending' | 'firing' | 'resolved' | 'cleared' | 'acknowledged' | 'updated'; alert: AlertView }
  | { type: 'silence_created' | 'silence_expired'; silence: Silence }
  | { type: 'rules_changed'; ruleId: string | null };

/** What the alerts page and banners start from (the `alerts` stream's snapshot). */
export interface AlertsView {
  /** Engine-clock time of the view. */
  now: number;
  /** Engine ms per real ms (null on virtual time), so a page can age the view between pushes. */
  timeScale: number | null;
  /** Pending and firing alerts, most severe first. */
  active: AlertView[];
  /** Silences in force or scheduled. */
  silences: Silence[];
  /** The town's name (GT_TOWN_NAME), for the page title; null when the server has none. */
  town?: string | null;
}

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
export type Comparison = '>' | '>=' | '<' | '<=';

export interface Condition {
  metric: MetricName;
  op: Comparison;
  threshold: number;
}

export interface AlertRule {
  /** Slug, unique: `merge-queue-backlog`. */
  id: string;
  name: string;
  description: string;
  severity: Severity;
  /** `rig`: evaluated per rig, one alert per rig; `town`: one alert for the town. */
  scope: 'town' | 'rig';
  conditions: Condition[];
  /** `all`: every condition must hold; `any`: one is enough. */
  match: 'all' | 'any';
  /** Engine ms the condition must hold before the alert fires (pending meanwhile). */
  forMs: number;
  /** Engine ms the alert keeps firing after the condition stops holding. */
  keepFiringForMs: number;
  enabled: boolean;
  /** Rules this one mutes on the same labels while it fires (the 40% conflict alert mutes the 20% one). */
  inhibits: string[];
  /** One of the seed's defaults (editable, resettable; disable rather than delete). */
  builtin: boolean;
}

export type EscalationEvent = 'raised' | 'reescalated' | 'acknowledged' | 'resolved';

export interface Delivery {
  id: number;
  /** The alert's id, or the escalation's. */
  alertId: string;
  /** The rule's id, or `escalation`. */
  ruleId: string;
  status: 'firing' | 'resolved' | EscalationEvent;
  attempts: number;
  /** null while still being attempted. */
  ok: boolean | null;
  lastError: string | null;
  /** Wall-clock ms. */
  firstAttemptAt: number;
  lastAttemptAt: number | null;
}

/** A post to one Alertmanager (GT_ALERTMANAGER_URL): a delivery with its target and how many alerts it carried. */
export type AlertmanagerDelivery = Delivery & { target: string; alerts: number };

/** GET /api/alerts/alertmanager: whether Alertmanagers are set, the counts, the last deliveries. */
export interface AlertmanagerStatus {
  configured: boolean;
  stats: { targets: string[]; firing: number; delivered: number; failed: number; retries: number; inFlight: number } | null;
  deliveries: AlertmanagerDelivery[];
}
