'use client';
/**
 * How the rig is supervised: its Deacon tier (automatic or pinned), its Witness's
 * interval and last patrol, and parking. Parked rigs get no new work and cold-tier
 * health checks only; parking stops work, so it asks first, with the rig's numbers.
 */
import { useState } from 'react';
import type { RigView } from '@/contracts/town';
import { callCommand } from '@/lib/commands';
import { formatDuration, plural } from '@/lib/format';
import { useCanAct } from '@/lib/session';
import { ConfirmDialog } from './ConfirmDialog';

export function RigSupervision({ rig, now }: { rig: RigView; now: number }) {
  const [result, setResult] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [confirmingPark, setConfirmingPark] = useState(false);
  const run = async (name: string, input: unknown, done: string) => {
    setPending(true);
    const r = await callCommand(name, input);
    setPending(false);
    setResult(r.ok ? done : r.message);
    return r.ok ? null : r.message;
  };
  const working = rig.polecats.filter((p) => p.beadId !== null).length;
  const parked = rig.status === 'parked';
  const canAct = useCanAct();
  return (
    <div className="space-y-3 text-sm" data-testid="supervision">
      <p>
        Deacon tier <strong data-testid="tier">{rig.tier}</strong>
        {rig.tierPinned ? ' (pinned)' : ' (automatic)'}
      </p>
      {canAct && (
        <label className="flex items-center gap-2">
          <span className="text-slate-500">Pin tier</span>
          <select
            className="rounded border border-slate-300 bg-white px-2 py-1 text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100"
            value={rig.tierPinned ? rig.tier : 'auto'}
            disabled={pending}
            onChange={(e) => run('rig.tier', { rig: rig.name, tier: e.target.value }, `tier set to ${e.target.value}`)}
          >
            {['auto', 'hot', 'warm', 'cold'].map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      )}
      <p data-testid="witness">
        Witness every {formatDuration(rig.witness.intervalMs)}, last patrol{' '}
        {rig.witness.lastPatrolAt === null ? 'not yet' : `${formatDuration(now - rig.witness.lastPatrolAt)} ago`}
      </p>
      {canAct && (
        <button
          type="button"
          className="rounded bg-slate-700 px-3 py-1 text-sm font-medium text-white hover:bg-slate-600 disabled:opacity-50"
          disabled={pending}
          onClick={() => (parked ? void run('rig.unpark', { rig: rig.name }, 'rig unparked') : setConfirmingPark(true))}
          data-testid="park-toggle"
        >
          {parked ? 'Unpark rig' : 'Park rig'}
        </button>
      )}
      {result && (
        <p role="status" className="text-xs text-slate-500">
          {result}
        </p>
      )}
      {confirmingPark && (
        <ConfirmDialog
          title={`Park ${rig.name}?`}
          confirmLabel="Park rig"
          tone="caution"
          onConfirm={() => run('rig.park', { rig: rig.name }, 'rig parked')}
          onClose={() => setConfirmingPark(false)}
          summary={
            <p>
              No new work is dispatched to its {plural(rig.polecats.length, 'polecat')}: {plural(rig.openBeads, 'open bead')} wait
              until it is unparked ({working} working now finish the bead in hand). Health checks drop to the cold tier.
            </p>
          }
        />
      )}
    </div>
  );
}
