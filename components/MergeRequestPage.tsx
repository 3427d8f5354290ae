/**
 * One merge request: where it stands, and each step of the validation that decided it
 * (the rig's setup when it ran, then its checks), with exit status, duration and the tail
 * of the output. Server-rendered from the request's record: the runs change only when a
 * validation decides it again, so reloading is enough to see a newer one.
 */
import Link from 'next/link';
import type { CheckRun } from '@/contracts/records';
import type { MergeRequestDetail } from '@/contracts/town';
import { formatDuration } from '@/lib/format';
import { BeadLink } from './BeadLink';

const PANEL = 'rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900';
const PANEL_TITLE = 'mb-3 text-sm font-semibold uppercase tracking-wide text-slate-500';
const LINK = 'text-sky-700 underline-offset-4 hover:underline dark:text-sky-300';

/** Calm colours: only a failure draws the eye. */
const STATUS_STYLE: Record<string, string> = {
  merged: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200',
  rejected: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-200',
  conflicted: 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200',
  escalated: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-200',
};
const NEUTRAL = 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300';

/** A step's duration (real ms): tenths of a second under a minute, then minutes and seconds. */
function stepDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return formatDuration(ms);
}

/** What the exit column says: the code, or why there is none. */
function exitText(run: CheckRun): string {
  if (run.exitCode !== null) return `exit ${run.exitCode}`;
  if (/timed out/.test(run.failure ?? '')) return 'timed out';
  if (/could not start/.test(run.failure ?? '')) return 'did not start';
  return run.ok ? 'passed' : 'killed';
}

function CheckRunRow({ run }: { run: CheckRun }) {
  return (
    <li className="py-3" data-testid="check-run" data-name={run.name} data-ok={run.ok ? 'true' : 'false'}>
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <span
          className={`rounded px-1.5 py-0.5 text-xs font-medium ${run.ok ? STATUS_STYLE.merged : STATUS_STYLE.rejected}`}
          data-testid="check-run-status"
        >
          {run.ok ? 'passed' : 'failed'}
        </span>
        <span className="font-medium" data-testid="check-run-name">
          {run.kind === 'setup' ? 'setup' : run.name}
        </span>
        <code className="min-w-0 flex-1 truncate text-xs text-slate-500" title={run.command.join(' ')}>
          {run.command.join(' ')}
        </code>
        <span className="tabular-nums text-sm" data-testid="check-run-exit">
          {exitText(run)}
        </span>
        <span className="tabular-nums text-sm text-slate-500" data-testid="check-run-duration">
          {stepDuration(run.durationMs)}
        </span>
      </div>
      {run.failure && (
        <p className="mt-1 text-sm text-rose-700 dark:text-rose-300" data-testid="check-run-failure">
          {run.failure}
        </p>
      )}
      {run.output.trim().length > 0 && (
        <details className="mt-2" open={!run.ok}>
          <summary className="cursor-pointer text-xs text-slate-500">output (last lines)</summary>
          <pre
            className="mt-1 max-h-80 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-100 p-2 font-mono text-xs text-slate-800 dark:bg-slate-950 dark:text-slate-200"
            data-testid="check-run-output"
          >
            {run.output}
          </pre>
        </details>
      )}
    </li>
  );
}

export function MergeRequestPage({ detail }: { detail: MergeRequestDetail }) {
  const { mergeRequest: mr, beadTitle, inQueue } = detail;
  const rigHref = `/rigs/${encodeURIComponent(mr.rig)}`;
  return (
    <main className="mx-auto max-w-5xl space-y-6 p-6">
      <header className="space-y-1">
        <Link href={rigHref} className={`text-sm ${LINK}`}>
          ← {mr.rig}
        </Link>
        <h1 className="flex flex-wrap items-center gap-3 text-2xl font-semibold">
          <span className="font-mono" data-testid="mr-id">
            {mr.id}
          </span>
          <span
            className={`rounded px-2 py-0.5 text-sm font-medium ${STATUS_STYLE[mr.status] ?? NEUTRAL}`}
            data-testid="mr-status"
          >
            {mr.status}
          </span>
        </h1>
        <p className="text-sm text-slate-500">
          <BeadLink id={mr.beadId} />
          {beadTitle && <span className="ml-2">{beadTitle}</span>}
          <span className="ml-3">
            branch <code className="font-mono">{mr.branch}</code> at <code className="font-mono">{mr.headSha.slice(0, 10)}</code>
          </span>
          <span className="ml-3">attempt {mr.attempts}</span>
        </p>
      </header>

      {mr.conflictFiles.length > 0 && (
        <section className={PANEL}>
          <h2 className={PANEL_TITLE}>Conflicts</h2>
          <ul className="font-mono text-sm">
            {mr.conflictFiles.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        </section>
      )}

      <section className={PANEL} aria-labelledby="checks-title">
        <h2 id="checks-title" className={PANEL_TITLE}>
          Checks
        </h2>
        {mr.checkRuns.length === 0 ? (
          <p className="text-sm text-slate-500" data-testid="check-runs-empty">
            {inQueue
              ? 'No validation has decided this request yet: its checks show here once it lands or is sent back.'
              : 'No checks ran for this request (the rig had none configured).'}
          </p>
        ) : (
          <ul className="divide-y divide-slate-100 dark:divide-slate-800" data-testid="check-runs">
            {mr.checkRuns.map((run, i) => (
              <CheckRunRow key={`${run.kind}-${run.name}-${i}`} run={run} />
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
