'use client';
/** A convoy's beads: status, where they run, who works them, and which wave holds them. */
import Link from 'next/link';
import type { ConvoyView } from '@/contracts/convoys';
import { LINK, Pill } from './ConvoyParts';
import { BeadLink } from './BeadLink';

export function ConvoyBeads({ beads }: { beads: ConvoyView['beads'] }) {
  if (beads.length === 0) return <p className="text-sm text-slate-500">No beads.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" data-testid="bead-table">
        <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="py-1 pr-3 font-medium">Bead</th>
            <th className="py-1 pr-3 font-medium">Title</th>
            <th className="py-1 pr-3 font-medium">Status</th>
            <th className="py-1 pr-3 font-medium">Rig</th>
            <th className="py-1 pr-3 font-medium">Assignee</th>
            <th className="py-1 pr-3 text-right font-medium">Priority</th>
            <th className="py-1 text-right font-medium">Wave</th>
          </tr>
        </thead>
        <tbody>
          {beads.map((b) => (
            <tr
              key={b.id}
              className="border-t border-slate-200 dark:border-slate-800"
              data-testid="bead-row"
              data-bead={b.id}
              data-status={b.status}
              data-wave={b.wave ?? ''}
            >
              <td className="py-1.5 pr-3 text-xs">
                <BeadLink id={b.id} />
              </td>
              <td className="max-w-md truncate py-1.5 pr-3" title={b.title}>
                {b.title}
              </td>
              <td className="py-1.5 pr-3">
                <Pill status={b.status} />
              </td>
              <td className="py-1.5 pr-3 font-mono text-xs">
                {b.rig ? (
                  <Link href={`/rigs/${encodeURIComponent(b.rig)}`} className={LINK}>
                    {b.rig}
                  </Link>
                ) : (
                  <span className="text-slate-500">—</span>
                )}
              </td>
              <td className="py-1.5 pr-3 font-mono text-xs">{b.assignee ?? <span className="text-slate-500">—</span>}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">P{b.priority}</td>
              <td className="py-1.5 text-right tabular-nums">{b.wave ?? <span className="text-slate-500">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
