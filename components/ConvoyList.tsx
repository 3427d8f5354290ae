'use client';
/**
 * The convoys page: open convoys first (held ones flagged), then the recent finished
 * ones, each with its progress and wave plan, live; and a form for a new convoy.
 */
import Link from 'next/link';
import type { ConvoySummary } from '@/contracts/convoys';
import { formatDuration } from '@/lib/format';
import { useCanAct } from '@/lib/session';
import { ConvoyNewForm } from './ConvoyNewForm';
import { LINK, PageHeader, PANEL, PANEL_TITLE, Pill, ProgressBar, StaleNotice } from './ConvoyParts';
import { useBrowserNow, useLiveQuery } from './useConvoyFeed';

export function ConvoyList() {
  const query = useLiveQuery<ConvoySummary[]>('/api/convoys');
  const browserNow = useBrowserNow();
  const canAct = useCanAct();
  const { data: convoys, live, overview, overviewAt } = query;
  const now =
    overview && overviewAt ? overview.now + (live ? Math.max(0, browserNow - overviewAt) * overview.timeScale : 0) : null;
  const open = convoys?.filter((c) => c.status === 'open') ?? [];
  const finished = convoys?.filter((c) => c.status !== 'open') ?? [];

  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <PageHeader
        back={{ href: '/', label: 'Town overview' }}
        title="Convoys"
        subtitle="Beads dispatched and tracked together, all at once or in staggered waves"
        query={query}
        browserNow={browserNow}
      />
      {!convoys ? (
        <p className={query.error ? 'text-rose-700 dark:text-rose-400' : 'text-slate-500'} data-testid="loading">
          {query.error ? `Convoys unavailable: ${query.error.message}` : 'Loading convoys…'}
        </p>
      ) : (
        <>
          <StaleNotice query={query} />
          <div className={`grid gap-4 lg:grid-cols-3 ${live ? '' : 'opacity-60'}`}>
            <div className="space-y-4 lg:col-span-2">
              <section className={PANEL} aria-label="Open convoys">
                <h2 className={PANEL_TITLE}>Open ({open.length})</h2>
                <ConvoyTable convoys={open} now={now} empty="No open convoys." />
              </section>
              <section className={PANEL} aria-label="Recent convoys">
                <h2 className={PANEL_TITLE}>Recently finished</h2>
                <ConvoyTable convoys={finished} now={now} empty="None yet." />
              </section>
            </div>
            <section className={`${PANEL} self-start`} aria-label="New convoy">
              <h2 className={PANEL_TITLE}>New convoy</h2>
              {canAct ? (
                <ConvoyNewForm rigs={overview?.rigs.filter((r) => r.status !== 'retired').map((r) => r.name) ?? []} />
              ) : (
                <p className="text-sm text-slate-500">Operators create convoys; you are signed in as a viewer.</p>
              )}
            </section>
          </div>
        </>
      )}
    </main>
  );
}

function plan(c: ConvoySummary): string {
  if (c.waves === 0) return 'not dispatched';
  if (c.waveSize === null) return 'all at once';
  return `${c.waves} × up to ${c.waveSize}`;
}

function ConvoyTable({ convoys, now, empty }: { convoys: ConvoySummary[]; now: number | null; empty: string }) {
  if (convoys.length === 0) return <p className="text-sm text-slate-500">{empty}</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm">
        <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="py-1 pr-3 font-medium">Convoy</th>
            <th className="py-1 pr-3 font-medium">Status</th>
            <th className="py-1 pr-3 font-medium">Progress</th>
            <th className="py-1 pr-3 font-medium">Waves</th>
            <th className="py-1 text-right font-medium">Created</th>
          </tr>
        </thead>
        <tbody>
          {convoys.map((c) => {
            const held = c.status === 'open' && c.waves === 0;
            return (
              <tr
                key={c.id}
                className="border-t border-slate-200 dark:border-slate-800"
                data-testid="convoy-row"
                data-convoy={c.id}
              >
                <td className="max-w-xs py-1.5 pr-3">
                  <Link href={`/convoys/${encodeURIComponent(c.id)}`} className={`block truncate ${LINK}`} title={c.title}>
                    {c.title}
                  </Link>
                  <span className="font-mono text-xs text-slate-500">{c.id}</span>
                </td>
                <td className="py-1.5 pr-3">
                  <Pill status={held ? 'held' : c.status} />
                </td>
                <td className="py-1.5 pr-3">
                  <ProgressBar done={c.progress.done} total={c.progress.total} />
                </td>
                <td className="py-1.5 pr-3 whitespace-nowrap text-slate-500">{plan(c)}</td>
                <td className="py-1.5 text-right whitespace-nowrap text-slate-500 tabular-nums">
                  {now === null ? '—' : `${formatDuration(now - c.createdAt)} ago`}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
