/** A rig's merge queue in landing order: who is where, which worker holds it, how long it has waited. */
import Link from 'next/link';
import type { MergeQueueView, PolecatView } from '@/contracts/town';
import { formatDuration } from '@/lib/format';
import { BeadLink } from './BeadLink';

/** Calm colours: only a blocked or failed request draws the eye. */
const STAGE_STYLE: Record<string, string> = {
  waiting: 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  speculating: 'bg-indigo-100 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200',
  speculated: 'bg-indigo-100 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200',
  validating: 'bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-200',
  passed: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200',
  blocked: 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200',
  failed: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-200',
};

const STAGE_HINT: Record<string, string> = {
  waiting: 'waiting for a Refinery worker',
  speculating: 'being merged onto the request ahead of it',
  speculated: 'merged speculatively, waiting for its checks',
  validating: 'checks running',
  passed: 'checks passed, lands when everything ahead has landed',
  blocked: 'conflicts with the target: goes back to its polecat',
  failed: 'a check failed: goes back to its polecat',
};

const COLUMNS: Array<[string, 'left' | 'right']> = [
  ['#', 'left'],
  ['MR', 'left'],
  ['Bead', 'left'],
  ['Polecat', 'left'],
  ['Stage', 'left'],
  ['Worker', 'right'],
  ['Attempts', 'right'],
  ['Age', 'right'],
  ['Lands in', 'right'],
];

export function MergeQueueTable({
  queue,
  polecats,
  elapsedMs,
}: {
  queue: MergeQueueView[];
  polecats: PolecatView[];
  /** Engine ms since the queue was taken, added to every age. */
  elapsedMs: number;
}) {
  if (queue.length === 0) {
    return (
      <p className="py-8 text-center text-sm text-slate-500" data-testid="queue-empty">
        Queue empty — every merge request has landed
      </p>
    );
  }
  const byId = new Map(polecats.map((p) => [p.id, p]));
  const titles = new Map(polecats.filter((p) => p.beadId).map((p) => [p.beadId, p.beadTitle]));
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="queue-table">
        <thead className="text-xs uppercase tracking-wide text-slate-500">
          <tr className="border-b border-slate-200 dark:border-slate-800">
            {COLUMNS.map(([label, align]) => (
              <th key={label} scope="col" className={`py-2 pr-3 font-medium last:pr-0 ${align === 'right' ? 'text-right' : ''}`}>
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {queue.map((mr) => {
            const polecat = byId.get(mr.polecat);
            const title = titles.get(mr.bead);
            return (
              <tr
                key={mr.id}
                className="border-b border-slate-100 last:border-0 dark:border-slate-800/60"
                data-testid="queue-row"
                data-stage={mr.stage}
                data-worker={mr.worker ?? ''}
              >
                <td className="py-1.5 pr-3 tabular-nums text-slate-500">{mr.position}</td>
                <td className="py-1.5 pr-3 font-mono text-xs">
                  <Link
                    href={`/rigs/${encodeURIComponent(mr.rig)}/mq/${encodeURIComponent(mr.id)}`}
                    className="text-sky-700 underline-offset-4 hover:underline dark:text-sky-300"
                    data-testid="queue-mr-link"
                  >
                    {mr.id}
                  </Link>
                </td>
                <td className="max-w-64 truncate py-1.5 pr-3" title={title ?? undefined}>
                  <span className="text-xs">
                    <BeadLink id={mr.bead} />
                  </span>
                  {title && <span className="ml-2 text-slate-500">{title}</span>}
                </td>
                <td className="py-1.5 pr-3 font-mono text-xs">{polecat?.name ?? mr.polecat.split('/').pop()}</td>
                <td className="py-1.5 pr-3">
                  <span
                    className={`rounded px-1.5 py-0.5 text-xs font-medium ${STAGE_STYLE[mr.stage] ?? STAGE_STYLE.waiting}`}
                    title={STAGE_HINT[mr.stage]}
                    data-testid="queue-stage"
                  >
                    {mr.stage}
                  </span>
                </td>
                <td className="py-1.5 pr-3 text-right tabular-nums" data-testid="queue-worker">
                  {mr.worker ?? '—'}
                </td>
                <td
                  className={`py-1.5 pr-3 text-right tabular-nums ${mr.attempts > 1 ? 'text-amber-700 dark:text-amber-500' : ''}`}
                >
                  {mr.attempts}
                </td>
                <td className="py-1.5 pr-3 text-right tabular-nums">{formatDuration(mr.ageMs + elapsedMs)}</td>
                <td
                  className="py-1.5 text-right tabular-nums text-slate-500"
                  data-testid="queue-eta"
                  title="Its position at the rig's recorded landing rate"
                >
                  {mr.etaMs === null ? '—' : `~${formatDuration(Math.max(0, mr.etaMs - elapsedMs))}`}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
