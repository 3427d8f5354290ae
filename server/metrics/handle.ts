/**
 * The handle through which route handlers reach authentication, alerts and metrics
 * (beside server/runtime.ts's, for the same reason: Next compiles `app/` into its own
 * bundles, so the custom server publishes the live instances on globalThis and only
 * types cross). Kept apart from the engine's handle so the two evolve independently.
 */
import type { AlertManager } from '../alerts/manager';
import type { WebhookNotifier } from '../alerts/webhook';
import type { AlertmanagerNotifier } from '../alerts/alertmanager';
import type { Authenticator } from '../auth/authenticator';
import type { Clock } from '../engine/clock';
import type { SeriesRecorder } from './series';

export interface MonitoringHandle {
  auth: Authenticator;
  alerts: AlertManager;
  series: SeriesRecorder;
  webhook: WebhookNotifier | null;
  /** GT_ALERTMANAGER_URL's notifier, or null. */
  alertmanager: AlertmanagerNotifier | null;
  /** The town's name (GT_TOWN_NAME): the `town` label, the page title. */
  townName: string;
  clock: Clock;
  /** The town's enabled rules as a Prometheus rule file (server/alerts/prometheus-rules.ts). */
  prometheusRules(): string;
  /** The Prometheus exposition: content type and text. */
  prometheus(): Promise<{ contentType: string; body: string }>;
}

export const MONITORING_KEY = Symbol.for('gastown.monitoring');
type Holder = { [MONITORING_KEY]?: MonitoringHandle };

export function publishMonitoring(handle: MonitoringHandle): void {
  (globalThis as Holder)[MONITORING_KEY] = handle;
}

export function getMonitoring(): MonitoringHandle | undefined {
  return (globalThis as Holder)[MONITORING_KEY];
}
