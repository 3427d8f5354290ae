'use client';
/**
 * Small pieces the convoy and costs pages share: panels, status pills, the progress bar,
 * and the freshness line (age, time scale, connection) with the notice that replaces a
 * "live" look when the data is not.
 */
import Link from 'next/link';
import type { ReactNode } from 'react';
import { formatDuration } from '@/lib/format';
import { ConnectionBadge, TimeScaleBadge } from './ConnectionBadge';
import type { LiveQuery } from './useConvoyFeed';

export const PANEL = 'rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900';
export const PANEL_TITLE = 'mb-3 text-sm font-semibold uppercase tracking-wide text-slate-500';
export const LINK = 'text-sky-700 underline-offset-4 hover:underline dark:text-sky-300';
export const BUTTON =
  'rounded bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-600 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed disabled:opacity-50';
export const BUTTON_QUIET =
  'rounded bg-slate-700 px-3 py-1.5 text-sm font-medium text-slate-100 hover:bg-slate-600 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed disabled:opacity-50';
export const INPUT =
  'rounded border border-slate-300 bg-white px-2 py-1 text-base text-slate-900 tabular-nums focus:outline-none focus:ring-2 focus:ring-sky-500 disabled:opacity-50 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100';

const PILL: Record<string, string> = {
  // convoys
  open: 'bg-sky-700 text-white',
  held: 'border border-dashed border-slate-400 bg-slate-800 text-slate-300',
  landed: 'bg-emerald-700 text-white',
  closed: 'bg-slate-600 text-slate-200',
  // waves
  ready: 'bg-zinc-600 text-white',
  dispatched: 'bg-sky-700 text-white',
  // beads
  hooked: 'bg-violet-700 text-white',
  in_progress: 'bg-sky-700 text-white',
  blocked: 'bg-amber-500 text-slate-950',
  done: 'bg-emerald-700 text-white',
};

export function Pill({ status, testId }: { status: string; testId?: string }) {
  return (
    <span
      className={`inline-block rounded px-1.5 py-0.5 text-xs font-medium whitespace-nowrap ${PILL[status] ?? 'bg-slate-700 text-slate-200'}`}
      data-testid={testId}
      data-status={status}
    >
      {status.replace('_', ' ')}
    </span>
  );
}

export function ProgressBar({ done, total, testId, wide }: { done: number; total: number; testId?: string; wide?: boolean }) {
  const pct = total === 0 ? 0 : Math.round((done / total) * 100);
  return (
    <div className="flex items-center gap-2" data-testid={testId} data-done={done} data-total={total}>
      <div
        className={`h-2 ${wide ? 'flex-1' : 'w-28'} overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-label={`${done} of ${total} beads done`}
      >
        <div className="h-full rounded-full bg-emerald-500 transition-[width] duration-500" style={{ width: `${pct}%` }} />
      </div>
      <span className="text-sm tabular-nums text-slate-500">
        {done}/{total}
      </span>
    </div>
  );
}

/** A header shared by the convoy and costs pages: a way back, the title, and how fresh the data is. */
export function PageHeader({
  back,
  title,
  subtitle,
  query,
  browserNow,
}: {
  back: { href: string; label: string };
  title: ReactNode;
  subtitle?: ReactNode;
  query: Pick<LiveQuery<unknown>, 'connection' | 'overview' | 'fetchedAt' | 'data'>;
  browserNow: number;
}) {
  return (
    <header className="flex flex-wrap items-start justify-between gap-3">
      <div className="min-w-0">
        <Link href={back.href} className={`text-sm ${LINK}`} data-testid="back-link">
          ← {back.label}
        </Link>
        <h1 className="text-2xl font-bold tracking-tight">{title}</h1>
        {subtitle && <div className="text-sm text-slate-500">{subtitle}</div>}
      </div>
      <div className="flex items-center gap-2 text-sm">
        {query.data !== null && query.fetchedAt !== null && (
          <span className="text-slate-500" data-testid="updated">
            updated {formatDuration(Math.max(0, browserNow - query.fetchedAt))} ago
          </span>
        )}
        {query.overview && <TimeScaleBadge timeScale={query.overview.timeScale} />}
        <ConnectionBadge connection={query.connection} />
      </div>
    </header>
  );
}

/** Said out loud when what is on screen is not current: the socket is down or the last fetch failed. */
export function StaleNotice({ query }: { query: Pick<LiveQuery<unknown>, 'connection' | 'error' | 'fetchedAt'> }) {
  const when = query.fetchedAt ? new Date(query.fetchedAt).toLocaleTimeString() : 'an earlier moment';
  const why = query.connection !== 'live' ? 'Disconnected' : query.error ? `Unavailable (${query.error.message})` : null;
  if (!why) return null;
  return (
    <p
      className="rounded border border-rose-300 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-200"
      data-testid="stale"
      role="status"
    >
      {why}: this is the view as of {when}, not updating until the connection is back.
    </p>
  );
}

/** Engine time of day (the engine's clock may run faster than the wall's). */
export function clockTime(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** Below this many attempts a conflict rate is shown but not flagged: 50% of 2 is not a signal. */
const SIGNAL_SAMPLE = 10;

/**
 * "12 conflicts of 40 attempts" as "30% (n=40)"; a rate never goes without its sample.
 * With enough attempts, the seed's thresholds colour it: early warning above 20%, alert above 40%.
 */
export function RateText({ rate, sample }: { rate: number | null; sample: number }) {
  if (rate === null || sample === 0) return <span className="text-slate-500">—, no attempts yet</span>;
  const tone =
    sample < SIGNAL_SAMPLE
      ? ''
      : rate > 0.4
        ? 'text-rose-700 dark:text-rose-400'
        : rate > 0.2
          ? 'text-amber-700 dark:text-amber-400'
          : '';
  return (
    <span className="tabular-nums" data-rate={rate} data-sample={sample}>
      <span className={tone}>{Math.round(rate * 100)}%</span>
      <span className="text-slate-500"> (n={sample})</span>
    </span>
  );
}
