'use client';
/**
 * The alerts page: what is firing (including what is silenced), what is pending and when
 * it would fire, the silences in force, the history of past alerts, the rules (the seed's
 * defaults and the operators' own, editable), a metric over time, and the deliveries of
 * the webhook and to Alertmanager. Live over the `alerts` stream; lists that come from the store are fetched
 * again when an alert changes.
 */
import Link from 'next/link';
import type { AlertView, AlertRule, Delivery } from '@/contracts/alerts';
import { formatDuration } from '@/lib/format';
import { useSession } from '@/lib/session';
import { AlertBannerItem, SEVERITY_STYLE } from './AlertBannerItem';
import { useAlertStream, useEngineNow } from './AlertsStream';
import { AlertsAlertmanager } from './AlertsAlertmanager';
import { AlertsMetricChart } from './AlertsMetricChart';
import { AlertsRulesEditor } from './AlertsRulesEditor';
import { AlertsSilences } from './AlertsSilences';
import { ConnectionBadge } from './ConnectionBadge';
import { useDocumentTitle } from './DocumentTitle';
import { PANEL, PANEL_TITLE, clockTime, useFetched } from './AlertsShared';

export function AlertsPage() {
  const session = useSession();
  const canAct = session?.role === 'operator';
  const { view, receivedAt, connection, changes } = useAlertStream();
  const now = useEngineNow(view, receivedAt);
  useDocumentTitle(view);
  const rules = useFetched<AlertRule[]>('/api/alerts/rules', changes);
  const history = useFetched<AlertView[]>('/api/alerts?state=resolved&limit=50', changes);
  const webhook = useFetched<{
    configured: boolean;
    stats: { target: string; delivered: number; failed: number; retries: number } | null;
    deliveries: Delivery[];
  }>('/api/alerts/webhook', changes);
  const firing = view?.active.filter((a) => a.state === 'firing') ?? [];
  const pending = view?.active.filter((a) => a.state === 'pending') ?? [];
  const ruleById = new Map((rules.data ?? []).map((r) => [r.id, r]));

  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <header className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <Link href="/" className="text-sm text-sky-700 underline-offset-4 hover:underline dark:text-sky-300">
            ← Town overview
          </Link>
          <h1 className="text-2xl font-bold tracking-tight">Alerts</h1>
          <p className="text-sm text-slate-500">
            {session ? `Signed in as ${session.name ?? 'nobody'} (${session.role ?? 'no role'})` : '…'}
            {session?.role === 'viewer' && ' · read-only: operators act'}
          </p>
        </div>
        <ConnectionBadge connection={connection} />
      </header>

      <section className={PANEL} aria-label="Firing" data-testid="alerts-firing">
        <h2 className={PANEL_TITLE}>Firing ({firing.length})</h2>
        {!view ? (
          <p className="text-sm text-slate-500">
            {connection === 'reconnecting' ? 'Alerts unavailable: reconnecting…' : 'Loading…'}
          </p>
        ) : firing.length === 0 ? (
          <p className="text-sm text-slate-500" data-testid="alerts-calm">
            Nothing firing. The town is calm.
          </p>
        ) : (
          <div className="space-y-2">
            {firing.map((a) => (
              <AlertBannerItem key={a.id} alert={a} now={now} canAct={canAct} timeScale={view?.timeScale ?? null} />
            ))}
          </div>
        )}
      </section>

      <section className={PANEL} aria-label="Pending" data-testid="alerts-pending">
        <h2 className={PANEL_TITLE}>Pending ({pending.length})</h2>
        {pending.length === 0 ? (
          <p className="text-sm text-slate-500">No condition is building up.</p>
        ) : (
          <ul className="space-y-1 text-sm">
            {pending.map((a) => {
              const rule = ruleById.get(a.ruleId);
              const left = rule && now !== null ? Math.max(0, a.activeAt + rule.forMs - now) : null;
              return (
                <li key={a.id} data-testid="pending-alert" data-rule={a.ruleId}>
                  <span className={`mr-2 rounded px-1.5 py-0.5 text-xs font-bold uppercase ${SEVERITY_STYLE[a.severity].chip}`}>
                    {a.severity}
                  </span>
                  <strong>{a.ruleName}</strong> {a.labels.rig ? `on ${a.labels.rig}` : 'town-wide'} · {a.summary}
                  {left !== null && <span className="text-slate-500"> · fires in {formatDuration(left)} if it holds</span>}
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <AlertsSilences
        silences={view?.silences ?? []}
        now={now}
        timeScale={view?.timeScale ?? null}
        canAct={canAct}
        rules={rules.data ?? []}
      />

      <section className={PANEL} aria-label="History" data-testid="alerts-history">
        <h2 className={PANEL_TITLE}>Past alerts</h2>
        {history.error && <p className="text-sm text-rose-700 dark:text-rose-400">History unavailable: {history.error}</p>}
        {history.data && history.data.length === 0 && <p className="text-sm text-slate-500">No alert has resolved yet.</p>}
        {history.data && history.data.length > 0 && (
          <table className="w-full text-left text-sm">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="font-normal">rule</th>
                <th className="font-normal">where</th>
                <th className="font-normal">fired</th>
                <th className="font-normal">resolved</th>
                <th className="font-normal">lasted</th>
                <th className="font-normal">acknowledged</th>
              </tr>
            </thead>
            <tbody>
              {history.data.map((a) => (
                <tr
                  key={a.id}
                  data-testid="history-row"
                  data-rule={a.ruleId}
                  className="border-t border-slate-200 dark:border-slate-800"
                >
                  <td className="py-1">
                    <span className={`mr-2 rounded px-1 text-xs uppercase ${SEVERITY_STYLE[a.severity].chip}`}>
                      {a.severity[0]}
                    </span>
                    {a.ruleName}
                  </td>
                  <td>{a.labels.rig ?? 'town'}</td>
                  <td>{clockTime(a.firedAt)}</td>
                  <td>{clockTime(a.resolvedAt)}</td>
                  <td>{a.firedAt !== null && a.resolvedAt !== null ? formatDuration(a.resolvedAt - a.firedAt) : '—'}</td>
                  <td>{a.acknowledgedBy ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <AlertsRulesEditor
        rules={rules.data}
        error={rules.error}
        canAct={canAct}
        onChanged={rules.reload}
        timeScale={view?.timeScale ?? null}
      />

      <AlertsMetricChart timeScale={view?.timeScale ?? null} />

      <section className={PANEL} aria-label="Webhook" data-testid="alerts-webhook">
        <h2 className={PANEL_TITLE}>Webhook</h2>
        {!webhook.data ? (
          <p className="text-sm text-slate-500">{webhook.error ?? 'Loading…'}</p>
        ) : !webhook.data.configured ? (
          <p className="text-sm text-slate-500">
            No webhook: set <code>GT_ALERT_WEBHOOK_URL</code> to POST alerts as JSON when they fire and resolve.
          </p>
        ) : (
          <>
            <p className="text-sm">
              To {webhook.data.stats!.target}: {webhook.data.stats!.delivered} delivered,{' '}
              <span
                className={webhook.data.stats!.failed > 0 ? 'font-semibold text-rose-700 dark:text-rose-400' : ''}
                data-testid="webhook-failed"
              >
                {webhook.data.stats!.failed} failed
              </span>
              , {webhook.data.stats!.retries} retries
            </p>
            <ul className="mt-2 space-y-0.5 text-xs text-slate-500 dark:text-slate-400">
              {webhook.data.deliveries.slice(0, 10).map((d) => (
                <li key={d.id} className={d.ok === false ? 'text-rose-700 dark:text-rose-300' : ''}>
                  {new Date(d.firstAttemptAt).toLocaleTimeString()} · {d.status} {d.ruleId} ·{' '}
                  {d.ok === null ? 'retrying' : d.ok ? 'delivered' : 'FAILED'} after {d.attempts} attempt
                  {d.attempts === 1 ? '' : 's'}
                  {d.lastError && ` · ${d.lastError}`}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <AlertsAlertmanager changes={changes} />
    </main>
  );
}
