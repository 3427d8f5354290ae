'use client';
/**
 * Removing a rig from its page, behind a confirmation that says what goes and what stays,
 * in numbers: dispatch stops, its polecats' worktrees go, its history and repository stay.
 * With work in flight the server refuses unless "drain" is ticked (a landing in hand
 * finishes first).
 */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { RigView } from '@/contracts/town';
import { callCommand } from '@/lib/commands';
import { plural } from '@/lib/format';
import { ConfirmDialog } from './ConfirmDialog';

const BUTTON =
  'rounded px-3 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed disabled:opacity-50';

export function RigRemoveControl({ rig }: { rig: RigView }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const [drain, setDrain] = useState(false);
  const working = rig.polecats.filter((p) => p.beadId !== null).length;

  async function remove() {
    const r = await callCommand('rig.remove', { rig: rig.name, drain });
    if (!r.ok) return r.message;
    router.push('/');
    return null;
  }

  return (
    <>
      <button
        type="button"
        onClick={() => setConfirming(true)}
        className={`${BUTTON} border border-rose-600 text-rose-700 hover:bg-rose-50 dark:text-rose-300 dark:hover:bg-rose-950`}
        data-testid="rig-remove-open"
      >
        Remove rig
      </button>
      {confirming && (
        <ConfirmDialog
          title={`Remove ${rig.name}?`}
          confirmLabel="Remove"
          onConfirm={remove}
          onClose={() => setConfirming(false)}
          summary={
            <>
              <p>
                Dispatch to <span className="font-mono">{rig.name}</span> stops and the worktrees of its{' '}
                {plural(rig.polecats.length, 'polecat')} are deleted ({working} working now). {plural(rig.openBeads, 'open bead')}{' '}
                and {plural(rig.queueDepth, 'merge request')} in its queue are left unlanded.
              </p>
              <p>Its history (beads, merges, events) stays, and so does its repository on disk.</p>
            </>
          }
        >
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={drain} onChange={(e) => setDrain(e.target.checked)} data-testid="rig-remove-drain" />
            Even with work in flight (drain: a landing in hand finishes, busy polecats stop)
          </label>
        </ConfirmDialog>
      )}
    </>
  );
}
