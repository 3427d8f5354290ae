'use client';
/**
 * A rig's polecats: state, bead, time in state, tokens, and the Witness's verdict when
 * it is not healthy, with the two levers an operator pulls on a quiet agent: nudge and
 * restart (restart-first: the worktree is kept); remove (an idle one at once, a busy one
 * once its bead is done); and, beside them, failure injection (hang, die, loop: demos and
 * tests of the Witness), which says when it was refused and why. Restart and remove stop
 * work, so they ask first (ConfirmDialog), saying what the polecat is doing now.
 */
import { useState } from 'react';
import type { PolecatView } from '@/contracts/town';
import { callCommand } from '@/lib/commands';
import { formatDuration, plural } from '@/lib/format';
import { useCanAct } from '@/lib/session';
import { BeadLink } from './BeadLink';
import { ConfirmDialog } from './ConfirmDialog';
import { STATE_STYLE } from './RigCard';

type Failure = 'hang' | 'die' | 'loop';

// Light text on the solid slate: without a colour of its own it took the page's (near-black in the light theme).
const BUTTON = 'rounded bg-slate-700 px-1.5 py-0.5 text-[11px] font-medium text-slate-100 hover:bg-slate-600 disabled:opacity-40';

export function PolecatList({ polecats, now }: { polecats: PolecatView[]; now: number }) {
  const canAct = useCanAct();
  const [result, setResult] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<{ action: 'restart' | 'remove'; polecat: PolecatView } | null>(null);
  const act = async (action: 'polecat.restart' | 'polecat.nudge', polecat: string) => {
    const r = await callCommand(action, { polecat });
    setResult(r.ok ? `${polecat}: ${action === 'polecat.restart' ? 'restarted' : 'nudged'}` : r.message);
    return r.ok ? null : r.message;
  };
  const inject = async (polecat: string, failure: Failure) => {
    const r = await callCommand('polecat.inject', { polecat, failure });
    setResult(r.ok ? `${polecat}: ${failure} injected` : `${polecat}: ${failure} refused: ${r.message}`);
  };
  const remove = async (p: PolecatView) => {
    const [rig] = p.id.split('/');
    const r = await callCommand('polecat.remove', { rig, name: p.name });
    const done = r.data as { removed: boolean; bead: string | null } | undefined;
    setResult(r.ok ? (done?.removed ? `${p.id}: removed` : `${p.id}: goes once ${done?.bead} is done`) : r.message);
    return r.ok ? null : r.message;
  };
  return (
    <>
      <ul className="space-y-1">
        {polecats.map((p) => (
          <li key={p.id} className="flex flex-wrap items-center gap-x-2 gap-y-1 text-xs" data-testid={`polecat-${p.name}`}>
            <span className={`w-20 shrink-0 rounded px-1.5 py-0.5 text-center font-medium ${STATE_STYLE[p.state]}`}>
              {p.state}
            </span>
            <span className="w-16 shrink-0 font-mono">{p.name}</span>
            {p.health !== 'ok' && (
              <span
                className="shrink-0 rounded bg-rose-700 px-1.5 py-0.5 font-medium text-white"
                data-testid={`health-${p.name}`}
              >
                {p.health} ×{p.strikes}
              </span>
            )}
            <span className="min-w-40 flex-1 truncate text-slate-500" title={p.beadTitle ?? ''}>
              {p.beadId && (
                <>
                  <BeadLink id={p.beadId} />
                  {` · ${formatDuration(now - p.stateSince)} · ${p.tokensUsed === null ? 'tokens unknown' : `${Math.round(p.tokensUsed / 1000)}k tok`}`}
                </>
              )}
            </span>
            {canAct && (
              <span className="flex shrink-0 gap-1">
                <button
                  type="button"
                  className={BUTTON}
                  onClick={() => setConfirming({ action: 'remove', polecat: p })}
                  data-testid={`remove-${p.name}`}
                >
                  Remove
                </button>
              </span>
            )}
            {canAct && p.beadId && (
              <span className="flex shrink-0 gap-1">
                <button
                  type="button"
                  className={BUTTON}
                  onClick={() => act('polecat.nudge', p.id)}
                  disabled={p.state === 'stalled'}
                >
                  Nudge
                </button>
                <button
                  type="button"
                  className={BUTTON}
                  onClick={() => setConfirming({ action: 'restart', polecat: p })}
                  data-testid={`restart-${p.name}`}
                >
                  Restart
                </button>
                <select
                  className={BUTTON}
                  value=""
                  aria-label={`Inject a failure into ${p.name}`}
                  data-testid={`inject-${p.name}`}
                  onChange={(e) => void inject(p.id, e.target.value as Failure)}
                >
                  <option value="" disabled>
                    Inject…
                  </option>
                  <option value="hang">hang</option>
                  <option value="die">die</option>
                  <option value="loop">loop</option>
                </select>
              </span>
            )}
          </li>
        ))}
      </ul>
      {result && (
        <p role="status" className="mt-2 text-xs text-slate-500">
          {result}
        </p>
      )}
      {confirming?.action === 'restart' && (
        <ConfirmDialog
          title={`Restart ${confirming.polecat.name}?`}
          confirmLabel="Restart"
          tone="caution"
          onConfirm={() => act('polecat.restart', confirming.polecat.id)}
          onClose={() => setConfirming(null)}
          summary={<p>{restartSummary(confirming.polecat, now)}</p>}
        />
      )}
      {confirming?.action === 'remove' && (
        <ConfirmDialog
          title={`Remove ${confirming.polecat.name}?`}
          confirmLabel="Remove"
          onConfirm={() => remove(confirming.polecat)}
          onClose={() => setConfirming(null)}
          summary={<p>{removeSummary(confirming.polecat, polecats.length)}</p>}
        />
      )}
    </>
  );
}

function restartSummary(p: PolecatView, now: number): string {
  const tokens = p.tokensUsed === null ? 'an unknown number of tokens' : `${Math.round(p.tokensUsed / 1000)}k tokens`;
  return (
    `Stops ${p.name}’s agent on ${p.beadId} (${p.state} for ${formatDuration(now - p.stateSince)}, ${tokens} so far) ` +
    'and starts a new session on the same bead in the same worktree, which is kept. The new session uses tokens again.'
  );
}

function removeSummary(p: PolecatView, total: number): string {
  const left = `The rig keeps ${plural(total - 1, 'polecat')}.`;
  return p.beadId === null
    ? `Removes ${p.name} now: its worktree is deleted (its branch stays). ${left}`
    : `${p.name} is working on ${p.beadId}: it takes no new work and is removed, worktree and all, once that bead is done. ${left}`;
}
