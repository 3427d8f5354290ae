'use client';
/**
 * One rig's control room: its Refinery's numbers (each rate with its sample), the merge
 * queue in landing order, the worker-count control, the polecats, the agent runtime and
 * the tail of an agent's log. Live over the socket; when the socket is down the view says
 * so and stops ageing as if it were live. A retired rig's page says so and where its work
 * went, with its numbers as history and none of the live controls.
 */
import Link from 'next/link';
import { useEffect, useState, type ReactNode } from 'react';
import type { RefineryStatsView } from '@/contracts/town';
import { formatDuration } from '@/lib/format';
import { AgentLogTail } from './AgentLogTail';
import { AgentRuntimeForm } from './AgentRuntimeForm';
import { ConnectionBadge, TimeScaleBadge } from './ConnectionBadge';
import { MergeQueueTable } from './MergeQueueTable';
import { RefineryScaleControl } from './RefineryScaleControl';
import { PolecatList } from './PolecatList';
import { RigSupervision } from './RigSupervision';
import { RigLineage } from './RigLineage';
import { RigRemoveControl } from './RigRemoveControl';
import { RetiredRigNotice } from './RetiredRigNotice';
import { useCanAct } from '@/lib/session';
import { useRigStream } from './useRigStream';

const PANEL = 'rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900';
/** The seed's alert: a queue over 5 items for more than 10 minutes (approximated by the head's wait). */
const TEN_MINUTES = 10 * 60_000;
const PANEL_TITLE = 'mb-3 text-sm font-semibold uppercase tracking-wide text-slate-500';

/** Browser time, ticking once a second, so ages move between pushes. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function RigPage({ rig }: { rig: string }) {
  const { connection, detail, receivedAt, error } = useRigStream(rig);
  const browserNow = useNow();
  const canAct = useCanAct();
  const live = connection === 'live';
  // Engine time passed since the detail was taken; frozen while the socket is down.
  const elapsedMs = live && detail && receivedAt ? Math.max(0, browserNow - receivedAt) * detail.timeScale : 0;
  const retired = detail?.rig.status === 'retired';

  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <header className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <Link
            href="/"
            className="text-sm text-sky-700 underline-offset-4 hover:underline dark:text-sky-300"
            data-testid="back-link"
          >
            ← Town overview
          </Link>
          <h1 className="font-mono text-2xl font-bold tracking-tight" data-testid="rig-name">
            {rig}
          </h1>
          {detail && (
            <p className="text-sm text-slate-500">
              {detail.rig.status} · target {detail.rig.targetBranch} · {detail.rig.mergeMode} merges · {detail.rig.openBeads} open
              beads
            </p>
          )}
          {detail && <RigLineage rig={detail.rig} />}
          {detail && canAct && !retired && (
            <div className="mt-2">
              <RigRemoveControl rig={detail.rig} />
            </div>
          )}
        </div>
        <div className="flex items-center gap-2 text-sm">
          {detail && receivedAt && (
            <span className="text-slate-500" data-testid="updated">
              updated {formatDuration(Math.max(0, browserNow - receivedAt))} ago
            </span>
          )}
          {detail && <TimeScaleBadge timeScale={detail.timeScale} />}
          <ConnectionBadge connection={connection} />
        </div>
      </header>

      {error ? (
        <p className="text-rose-700 dark:text-rose-400" data-testid="rig-error">
          {error}. <Link href="/">Back to the overview</Link>
        </p>
      ) : !detail ? (
        <p className="text-slate-500" data-testid="loading">
          {connection === 'reconnecting' ? 'Rig unavailable: reconnecting…' : `Connecting to ${rig}…`}
        </p>
      ) : (
        <>
          {!live && (
            <p
              className="rounded border border-rose-300 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-200"
              data-testid="stale"
            >
              Disconnected: this is the rig as of {receivedAt ? new Date(receivedAt).toLocaleTimeString() : 'an earlier moment'},
              not updating until the connection is back.
            </p>
          )}
          <div className={`space-y-6 ${live ? '' : 'opacity-60'}`}>
            {retired && <RetiredRigNotice rig={detail.rig} now={detail.now + elapsedMs} />}
            <StatsTiles stats={detail.stats} />

            {!retired && (
              <>
                <div className="grid gap-4 lg:grid-cols-3">
                  <section className={`${PANEL} lg:col-span-2`} aria-label="Merge queue">
                    <h2 className={PANEL_TITLE}>Merge queue · landing order</h2>
                    <MergeQueueTable queue={detail.queue} polecats={detail.rig.polecats} elapsedMs={elapsedMs} />
                  </section>

                  <div className="space-y-4">
                    <section className={PANEL} aria-label="Refinery workers">
                      <h2 className={PANEL_TITLE}>Refinery workers</h2>
                      <p className="mb-3 text-sm text-slate-500">
                        Each worker validates one merge request on a speculative base; landing order is kept. More workers drain a
                        long queue faster.
                      </p>
                      {canAct ? (
                        <RefineryScaleControl rig={rig} workers={detail.rig.refineryWorkers} queueDepth={detail.rig.queueDepth} />
                      ) : (
                        <p className="text-sm" data-testid="workers-readonly">
                          {detail.rig.refineryWorkers} worker{detail.rig.refineryWorkers === 1 ? '' : 's'} · operators scale
                        </p>
                      )}
                    </section>

                    <section className={PANEL} aria-label="Supervision">
                      <h2 className={PANEL_TITLE}>Supervision</h2>
                      <RigSupervision rig={detail.rig} now={detail.now + elapsedMs} />
                    </section>

                    <section className={PANEL} aria-label="Polecats">
                      <h2 className={PANEL_TITLE}>Polecats ({detail.rig.polecats.length})</h2>
                      <PolecatList polecats={detail.rig.polecats} now={detail.now + elapsedMs} />
                    </section>
                  </div>
                </div>

                <div className="grid gap-4 lg:grid-cols-3">
                  <section className={PANEL} aria-label="Agent runtime">
                    <h2 className={PANEL_TITLE}>Agent runtime</h2>
                    <AgentRuntimeForm key={JSON.stringify(detail.rig.agent)} rig={detail.rig} />
                  </section>
                  <section className={`${PANEL} lg:col-span-2`} aria-label="Agent log">
                    <h2 className={PANEL_TITLE}>Agent log · tail</h2>
                    <AgentLogTail rig={rig} polecats={detail.rig.polecats} />
                  </section>
                </div>
              </>
            )}
          </div>
        </>
      )}
    </main>
  );
}

function StatsTiles({ stats }: { stats: RefineryStatsView }) {
  const depth = stats.queue.pending + stats.queue.in_flight + stats.queue.blocked;
  const windowText = formatDuration(stats.window_ms);
  const conflictSignal = stats.conflict_sample >= stats.min_sample && stats.conflict_rate !== null;
  // Less than the whole window seen (a young rig): say over how much, not "1 h".
  const observedText =
    stats.observed_ms < stats.window_ms ? `over ${formatDuration(stats.observed_ms)} of ${windowText}` : `window ${windowText}`;
  const tiq = stats.time_in_queue_ms;
  return (
    <section className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6" aria-label="Refinery">
      <Tile
        label="Queue depth"
        value={depth}
        testId="tile-queue"
        warn={depth > 5 && (stats.head_of_line_age_ms ?? 0) > TEN_MINUTES ? 'alert' : depth >= 5 ? 'warn' : undefined}
        detail={
          <>
            <div>
              {stats.queue.pending} pending · {stats.queue.in_flight} in flight
            </div>
            <div>
              {stats.queue.blocked} blocked
              {stats.head_of_line_age_ms !== null && <> · head {formatDuration(stats.head_of_line_age_ms)}</>}
            </div>
          </>
        }
      />
      <Tile
        label="Merges per hour"
        value={stats.merges_per_hour ?? <span className="text-base font-normal text-slate-500">n too small</span>}
        testId="tile-merges"
        detail={`n=${stats.merges_landed} landed · ${observedText}`}
      />
      <Tile
        label="Conflict rate"
        value={<Rate rate={stats.conflict_rate} sample={stats.conflict_sample} min={stats.min_sample} none="no attempts yet" />}
        testId="tile-conflicts"
        warn={
          conflictSignal && stats.conflict_rate! > 0.4
            ? 'alert'
            : conflictSignal && stats.conflict_rate! > 0.2
              ? 'warn'
              : undefined
        }
        detail={`${stats.conflicts} conflicted · ${observedText}`}
      />
      <Tile
        label="Check failures"
        value={<Rate rate={stats.check_failure_rate} sample={stats.check_runs} min={stats.min_sample} none="no check runs yet" />}
        testId="tile-checks"
        detail={
          stats.check_duration_ms.p50 === null
            ? `window ${windowText}`
            : `check p50 ${formatDuration(stats.check_duration_ms.p50)}`
        }
      />
      <Tile
        label="Time in queue"
        value={
          tiq.p50 === null ? (
            <span className="text-base font-normal text-slate-500">—, nothing landed yet</span>
          ) : (
            <>
              {formatDuration(tiq.p50)}
              <span className="text-sm font-normal text-slate-500"> / {tiq.p95 === null ? '—' : formatDuration(tiq.p95)}</span>
            </>
          )
        }
        testId="tile-time-in-queue"
        detail={`p50 / p95 · n=${tiq.sample}`}
      />
      <Tile
        label="Workers busy"
        value={`${stats.workers_busy}/${stats.workers}`}
        testId="tile-workers"
        detail="merging or running checks"
      />
    </section>
  );
}

/** A rate is never shown without how many attempts it is over. */
/** A rate with its sample; below `min` it is shown muted, with "n too small" (not a signal). */
function Rate({ rate, sample, min, none }: { rate: number | null; sample: number; min: number; none: string }) {
  if (rate === null || sample === 0) return <span className="text-base font-normal text-slate-500">—, {none}</span>;
  if (sample < min)
    return (
      <span className="text-base font-normal text-slate-500">
        {Math.round(rate * 100)}% · n too small (n={sample})
      </span>
    );
  return (
    <>
      {Math.round(rate * 100)}%<span className="text-sm font-normal text-slate-500"> (n={sample})</span>
    </>
  );
}

function Tile({
  label,
  value,
  detail,
  testId,
  warn,
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  testId?: string;
  warn?: 'warn' | 'alert';
}) {
  const ring = warn === 'alert' ? 'ring-2 ring-rose-500' : warn === 'warn' ? 'ring-2 ring-amber-500' : '';
  return (
    <div className={`${PANEL.replace('p-4', 'p-3')} ${ring}`}>
      <div className="text-xs uppercase tracking-wide text-slate-500">{label}</div>
      <div className="text-2xl font-semibold tabular-nums" data-testid={testId}>
        {value}
      </div>
      {detail && <div className="mt-0.5 text-xs text-slate-500">{detail}</div>}
    </div>
  );
}
