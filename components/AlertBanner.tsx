'use client';
/**
 * The alert banners, on every page (mounted by the root layout): every firing alert that
 * nothing mutes, most severe first, with its actions; a calm town shows nothing. Says so
 * when the alerts feed is down instead of passing old banners off as current.
 */
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useSession } from '@/lib/session';
import { AlertBannerItem } from './AlertBannerItem';
import { useAlertStream, useEngineNow } from './AlertsStream';
import { useDocumentTitle } from './DocumentTitle';

export function AlertBanner() {
  const pathname = usePathname();
  const session = useSession();
  // The alerts page shows every firing alert as a banner itself; the login page has none to show.
  const signedIn = session?.authenticated === true && pathname !== '/login' && pathname !== '/alerts';
  const { view, receivedAt, connection } = useAlertStream(signedIn);
  const now = useEngineNow(view, receivedAt);
  useDocumentTitle(signedIn ? view : null);
  if (!signedIn || !view) return null;
  const firing = view.active.filter((a) => a.state === 'firing');
  const shown = firing.filter((a) => !a.silencedBy && !a.inhibitedBy);
  const muted = firing.length - shown.length;
  if (shown.length === 0 && muted === 0 && connection === 'live') return null;
  return (
    <section aria-label="Firing alerts" className="mx-auto max-w-7xl space-y-2 px-6 pt-4" data-testid="alert-banners">
      {shown.map((alert) => (
        <AlertBannerItem key={alert.id} alert={alert} now={now} canAct={session.role === 'operator'} timeScale={view.timeScale} />
      ))}
      <p className="flex flex-wrap gap-2 text-xs text-slate-500 dark:text-slate-400">
        {connection !== 'live' && (
          <span className="font-medium text-rose-700 dark:text-rose-300" data-testid="alert-feed-down">
            Alerts feed reconnecting: these banners may be out of date.
          </span>
        )}
        {muted > 0 && <span data-testid="alert-muted-count">{muted} more firing but silenced.</span>}
        <Link
          href="/alerts"
          className="text-sky-700 underline-offset-4 hover:underline dark:text-sky-300"
          data-testid="alerts-link"
        >
          All alerts, silences and rules →
        </Link>
      </p>
    </section>
  );
}
