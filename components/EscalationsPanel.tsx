'use client';
/**
 * Open escalations, most severe first, each with where it happened, since when, who
 * acknowledged it, and the two actions a person takes: acknowledge, resolve.
 */
import Link from 'next/link';
import { useState } from 'react';
import type { Escalation } from '@/contracts/records';
import { callCommand } from '@/lib/commands';
import { formatDuration } from '@/lib/format';
import { useCanAct } from '@/lib/session';

// Each severity's box and its badge, light and dark: the badge is a solid colour with white
// (or near-black on amber) text, so it reads on either theme's tinted box.
const SEVERITY_STYLE: Record<Escalation['severity'], { box: string; chip: string }> = {
  low: { box: 'border-slate-500 bg-slate-100 dark:bg-slate-800/60', chip: 'bg-slate-600 text-white' },
  medium: { box: 'border-amber-500 bg-amber-50 dark:bg-amber-950/40', chip: 'bg-amber-400 text-slate-950' },
  high: { box: 'border-orange-500 bg-orange-50 dark:bg-orange-950/40', chip: 'bg-orange-700 text-white' },
  critical: { box: 'border-rose-500 bg-rose-50 dark:bg-rose-950/50', chip: 'bg-rose-700 text-white' },
};
const MUTED = 'text-slate-600 dark:text-slate-400';

export function EscalationsPanel({ escalations, now }: { escalations: Escalation[]; now: number }) {
  const canAct = useCanAct();
  const [result, setResult] = useState<string | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  if (escalations.length === 0) return null;

  const act = async (action: 'escalation.ack' | 'escalation.resolve', id: string) => {
    setPending(id);
    const r = await callCommand(action, { id });
    setPending(null);
    setResult(r.ok ? `${id} ${action === 'escalation.ack' ? 'acknowledged' : 'resolved'}` : r.message);
  };

  return (
    <section aria-label="Escalations" className="space-y-2" data-testid="escalations">
      <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-500">Escalations ({escalations.length})</h2>
      {escalations.map((e) => (
        <article
          key={e.id}
          className={`rounded-lg border-l-4 p-3 text-sm ${SEVERITY_STYLE[e.severity].box}`}
          data-testid={`escalation-${e.id}`}
        >
          <div className="flex flex-wrap items-baseline justify-between gap-2">
            <p>
              <span className={`mr-2 rounded px-1.5 py-0.5 text-xs font-semibold uppercase ${SEVERITY_STYLE[e.severity].chip}`}>
                {e.severity}
              </span>
              <span className={MUTED}>{e.source}</span>
              {e.rig && (
                <>
                  {' · '}
                  <Link className="underline decoration-dotted" href={`/rigs/${e.rig}`}>
                    {e.rig}
                  </Link>
                </>
              )}
              {' · '}
              <span className={MUTED}>{formatDuration(now - e.createdAt)} ago</span>
            </p>
            <div className="flex gap-2">
              {!canAct ? (
                e.status !== 'open' && <span className={`text-xs ${MUTED}`}>acknowledged by {e.acknowledgedBy}</span>
              ) : e.status === 'open' ? (
                <button
                  type="button"
                  className="rounded bg-slate-700 px-2 py-1 text-xs font-medium text-white hover:bg-slate-600 disabled:opacity-50"
                  disabled={pending === e.id}
                  onClick={() => act('escalation.ack', e.id)}
                >
                  Acknowledge
                </button>
              ) : (
                <span className={`text-xs ${MUTED}`}>acknowledged by {e.acknowledgedBy}</span>
              )}
              {canAct && (
                <button
                  type="button"
                  className="rounded bg-emerald-700 px-2 py-1 text-xs font-medium text-white hover:bg-emerald-600 disabled:opacity-50"
                  disabled={pending === e.id}
                  onClick={() => act('escalation.resolve', e.id)}
                >
                  Resolve
                </button>
              )}
            </div>
          </div>
          <p className="mt-1">{e.reason}</p>
        </article>
      ))}
      {result && (
        <p role="status" className={`text-xs ${MUTED}`}>
          {result}
        </p>
      )}
    </section>
  );
}
