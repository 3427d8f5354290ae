/**
 * What a retired rig's page says instead of its live panels: that it is retired, since
 * when, and where its work went (the partitions of a split, or the rig a partition was
 * merged back into), linked. Its queue did not land: it moved, so the page must not say
 * "every merge request has landed".
 */
import Link from 'next/link';
import type { RigView } from '@/contracts/town';
import { formatDuration } from '@/lib/format';

const rigLink = (name: string) => (
  <Link
    key={name}
    href={`/rigs/${encodeURIComponent(name)}`}
    className="font-mono font-medium text-sky-700 underline underline-offset-2 dark:text-sky-300"
    data-testid={`retired-to-${name}`}
  >
    {name}
  </Link>
);

export function RetiredRigNotice({ rig, now }: { rig: RigView; now: number }) {
  const lineage = rig.lineage;
  const to = lineage?.splitInto.length ? lineage.splitInto : lineage?.mergedInto ? [lineage.mergedInto] : [];
  const how = lineage?.splitInto.length ? 'split into' : 'merged back into';
  return (
    <section
      aria-label="Retired"
      className="rounded-lg border border-slate-300 bg-slate-50 p-4 text-sm text-slate-800 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200"
      data-testid="retired-notice"
    >
      <h2 className="text-base font-semibold">
        Retired {lineage ? <span data-testid="retired-when">{formatDuration(Math.max(0, now - lineage.at))} ago</span> : null}
        {to.length > 0 && (
          <>
            , {how} {to.flatMap((n, i) => (i === 0 ? [rigLink(n)] : [', ', rigLink(n)]))}
          </>
        )}
      </h2>
      <p className="mt-1 text-slate-600 dark:text-slate-400">
        {to.length > 0
          ? `Its beads, merge requests and polecats moved ${to.length === 1 ? 'there' : 'to those rigs'}: follow their work on ${to.length === 1 ? 'its page' : 'their pages'}.`
          : 'Its work moved to other rigs.'}{' '}
        This page keeps the rig’s history; it has no Refinery, Witness or polecats of its own to act on.
      </p>
    </section>
  );
}
