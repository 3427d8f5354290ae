'use client';
/**
 * The alerts page's Alertmanager panel: where alerts are posted (GT_ALERTMANAGER_URL, one
 * or an HA pair), how many are being re-posted as firing, and the last deliveries with
 * their errors, so an Alertmanager that is down or refusing shows here, not only in logs.
 * Fetched again when an alert changes, and every 15 s (resends and retries happen between).
 */
import { useEffect, useState } from 'react';
import type { AlertmanagerStatus } from '@/contracts/alerts';
import { PANEL, PANEL_TITLE, useFetched } from './AlertsShared';

const REFRESH_MS = 15_000;

export function AlertsAlertmanager({ changes }: { changes: number }) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  const status = useFetched<AlertmanagerStatus>('/api/alerts/alertmanager', `${changes}:${tick}`);
  const data = status.data;
  return (
    <section className={PANEL} aria-label="Alertmanager" data-testid="alerts-alertmanager">
      <h2 className={PANEL_TITLE}>Alertmanager</h2>
      {!data ? (
        <p className="text-sm text-slate-500">{status.error ?? 'Loading…'}</p>
      ) : !data.configured || !data.stats ? (
        <p className="text-sm text-slate-500">
          No Alertmanager: set <code>GT_ALERTMANAGER_URL</code> (comma-separated for an HA pair) to post firing alerts to its API
          and route them to Slack, PagerDuty or email (docs/alerts.md).
        </p>
      ) : (
        <>
          <p className="text-sm">
            To {data.stats.targets.join(', ')}: {data.stats.firing} firing re-posted every minute · {data.stats.delivered}{' '}
            delivered,{' '}
            <span
              className={data.stats.failed > 0 ? 'font-semibold text-rose-700 dark:text-rose-400' : ''}
              data-testid="alertmanager-failed"
            >
              {data.stats.failed} failed
            </span>
            , {data.stats.retries} retries
          </p>
          <ul className="mt-2 space-y-0.5 text-xs text-slate-500 dark:text-slate-400">
            {data.deliveries.slice(0, 10).map((d) => (
              <li
                key={d.id}
                className={d.ok === false ? 'text-rose-700 dark:text-rose-300' : ''}
                data-testid="alertmanager-delivery"
              >
                {new Date(d.firstAttemptAt).toLocaleTimeString()} · {d.target} · {d.status}{' '}
                {d.ruleId === 'resend' ? `(resend of ${d.alerts})` : d.ruleId} ·{' '}
                {d.ok === null ? 'retrying' : d.ok ? 'delivered' : 'FAILED'} after {d.attempts} attempt
                {d.attempts === 1 ? '' : 's'}
                {d.lastError && ` · ${d.lastError}`}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
