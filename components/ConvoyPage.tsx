'use client';
/**
 * One convoy's control room: progress, the wave plan as a live diagram coloured by state,
 * the waves over time with their rework, the beads, and the dispatch / stagger action.
 * It is fetched again (at most once a second) whenever the town pushes a change; when
 * the socket or the API is down the page says so and dims what it shows.
 */
import Link from 'next/link';
import type { ReactNode } from 'react';
import type { ConvoyView } from '@/contracts/convoys';
import { ConvoyActions } from './ConvoyActions';
import { useCanAct } from '@/lib/session';
import { ConvoyBeads } from './ConvoyBeads';
import { LINK, PageHeader, PANEL, PANEL_TITLE, Pill, ProgressBar, RateText, StaleNotice } from './ConvoyParts';
import { WaveTable, WaveTimelineChart } from './ConvoyWaves';
import { MermaidDiagram } from './MermaidDiagram';
import { useBrowserNow, useLiveQuery } from './useConvoyFeed';

export function ConvoyPage({ id }: { id: string }) {
  const query = useLiveQuery<ConvoyView>(`/api/convoys/${encodeURIComponent(id)}`);
  const browserNow = useBrowserNow();
  const canAct = useCanAct();
  const { data: convoy, live, overview, overviewAt } = query;
  // Engine time now: the last push's, moved on by the time since (frozen while not live).
  const now = overview && overviewAt ? overview.now + (live ? Math.max(0, browserNow - overviewAt) * overview.timeScale : 0) : 0;

  const status = convoy ? (convoy.status === 'open' && !convoy.dispatched ? 'held' : convoy.status) : null;

  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <PageHeader
        back={{ href: '/convoys', label: 'Convoys' }}
        title={<span data-testid="convoy-title">{convoy?.title ?? id}</span>}
        subtitle={
          convoy && (
            <span className="flex flex-wrap items-center gap-2">
              <span className="font-mono">{convoy.id}</span>
              {status && <Pill status={status} testId="convoy-status" />}
              <span>
                {convoy.waveSize === null
                  ? convoy.dispatched
                    ? 'dispatched all at once'
                    : 'not dispatched'
                  : `waves of ${convoy.waveSize}`}
              </span>
            </span>
          )
        }
        query={query}
        browserNow={browserNow}
      />

      {!convoy ? (
        <p
          className={query.error ? 'text-rose-700 dark:text-rose-400' : 'text-slate-500'}
          data-testid={query.error ? 'convoy-error' : 'loading'}
        >
          {query.error
            ? query.error.status === 404
              ? `${query.error.message}. `
              : `Convoy unavailable: ${query.error.message}. `
            : 'Loading the convoy…'}
          {query.error && (
            <Link href="/convoys" className={LINK}>
              All convoys
            </Link>
          )}
        </p>
      ) : (
        <>
          <StaleNotice query={query} />
          <div className={`space-y-6 ${live ? '' : 'opacity-60'}`}>
            <section className={PANEL} aria-label="Progress">
              <div className="flex flex-wrap items-center gap-x-8 gap-y-3">
                <div className="min-w-64 flex-1">
                  <div className="mb-1 text-xs uppercase tracking-wide text-slate-500">Beads done</div>
                  <ProgressBar done={convoy.progress.done} total={convoy.progress.total} testId="convoy-progress" wide />
                </div>
                <Figure label="Waves" value={convoy.waves.length || '—'} />
                <Figure label="Merged" value={convoy.totals.merged} />
                <Figure label="Conflicts" value={convoy.totals.conflicts} />
                <Figure label="Rejections" value={convoy.totals.rejections} />
                <Figure
                  label="Conflict rate"
                  value={
                    <RateText
                      rate={convoy.totals.conflictRate}
                      sample={convoy.totals.merged + convoy.totals.conflicts + convoy.totals.rejections}
                    />
                  }
                />
              </div>
            </section>

            <div className="grid gap-4 lg:grid-cols-5">
              <section className={`${PANEL} lg:col-span-3`} aria-label="Wave plan">
                <h2 className={PANEL_TITLE}>Wave plan</h2>
                <MermaidDiagram text={convoy.diagram} label="The convoy's waves and their gates" testId="wave-diagram" />
              </section>
              {canAct && (
                <section className={`${PANEL} lg:col-span-2`} aria-label="Dispatch">
                  <h2 className={PANEL_TITLE}>{convoy.dispatched ? 'Stagger' : 'Dispatch'}</h2>
                  <ConvoyActions convoy={convoy} onChanged={query.refresh} live={live} />
                </section>
              )}
            </div>

            <section className={PANEL} aria-label="Wave timeline">
              <h2 className={PANEL_TITLE}>Waves over time · engine clock</h2>
              <div className="space-y-4">
                <WaveTimelineChart waves={convoy.waves} now={now} timeScale={overview?.timeScale ?? null} />
                <WaveTable waves={convoy.waves} now={now} />
              </div>
            </section>

            <section className={PANEL} aria-label="Beads">
              <h2 className={PANEL_TITLE}>Beads ({convoy.beads.length})</h2>
              <ConvoyBeads beads={convoy.beads} />
            </section>
          </div>
        </>
      )}
    </main>
  );
}

function Figure({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div>
      <div className="text-xs uppercase tracking-wide text-slate-500">{label}</div>
      <div className="text-lg font-semibold tabular-nums">{value}</div>
    </div>
  );
}
