'use client';
/**
 * Dispatching and staggering a convoy. A held convoy is dispatched all at once or in
 * waves of N; one in flight is re-staggered (only its waves not yet started are
 * re-planned). The wave size starts at the server's suggestion; the server validates
 * (a whole number from 1 to the beads still to do, or "auto") and its reason is shown as
 * it is, so the page, the API and the CLI answer bad input alike.
 */
import { WhatIfPreview } from './WhatIfPreview';
import { useId, useState, type FormEvent } from 'react';
import { describeWavePlan, type ConvoyView } from '@/contracts/convoys';
import { callCommand } from '@/lib/commands';
import { formatDuration } from '@/lib/format';
import { BUTTON, BUTTON_QUIET, clockTime, INPUT } from './ConvoyParts';

type Result = { ok: boolean; text: string };
type Action = 'waves' | 'all' | 'restagger';

function describe(action: Action, data: unknown): string {
  const convoy = data as { waveSize?: number | null; waves?: unknown[] } | undefined;
  const plan = describeWavePlan(convoy?.waves?.length ?? 0, convoy?.waveSize ?? null);
  if (action === 'restagger') return `Re-staggered: ${plan}`;
  return `Dispatched ${plan}`;
}

export function ConvoyActions({ convoy, onChanged, live }: { convoy: ConvoyView; onChanged: () => void; live: boolean }) {
  // The box starts at the plan in force (the suggestion is beside it, and "auto" takes it):
  // a box saying 2 under a plan of 4 read as if the plan were 2.
  const planned = convoy.waveSize ?? convoy.suggestedWaveSize;
  const [draft, setDraft] = useState<string | null>(null);
  const [auto, setAuto] = useState(false);
  const [pending, setPending] = useState<Action | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const value = draft ?? (planned === null ? '' : String(planned));
  const inputId = useId();

  if (convoy.status !== 'open') {
    const firstStart = Math.min(...convoy.waves.map((w) => w.dispatchedAt ?? Number.POSITIVE_INFINITY));
    return (
      <div className="space-y-2 text-sm text-slate-500" data-testid="convoy-actions-closed">
        <p>This convoy has {convoy.status === 'landed' ? 'landed' : 'been closed'}: nothing left to dispatch.</p>
        {convoy.closedAt !== null && (
          <p className="tabular-nums">
            {convoy.status === 'landed' ? 'Landed' : 'Closed'} at {clockTime(convoy.closedAt)}
            {Number.isFinite(firstStart) && `, ${formatDuration(convoy.closedAt - firstStart)} after its first wave started`}
            {convoy.waveSize !== null ? ` (waves of ${convoy.waveSize}).` : ' (all at once).'}
          </p>
        )}
      </div>
    );
  }

  const held = !convoy.dispatched;
  const waveSize = (): number | 'auto' | null => {
    if (auto) return 'auto';
    const trimmed = value.trim();
    return trimmed === '' ? null : Number(trimmed);
  };

  async function act(action: Action) {
    if (pending) return;
    setPending(action);
    setResult(null);
    const r =
      action === 'restagger'
        ? await callCommand('convoy.stagger', { id: convoy.id, waveSize: waveSize() })
        : await callCommand('convoy.dispatch', { id: convoy.id, waveSize: action === 'all' ? null : waveSize() });
    setPending(null);
    setResult(r.ok ? { ok: true, text: describe(action, r.data) } : { ok: false, text: r.message });
    if (r.ok) setDraft(null);
    onChanged();
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void act(held ? 'waves' : 'restagger');
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-3" aria-label="Dispatch and stagger the convoy">
      <p className="text-sm text-slate-500">
        {held
          ? 'Held: nothing is dispatched yet. Staggered waves each wait for the previous wave’s merges to land, so later polecats build on landed code.'
          : 'Re-staggering re-plans only the waves not started yet; waves in flight keep going.'}
      </p>
      <div className="flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor={inputId} className="block text-xs uppercase tracking-wide text-slate-500">
            Wave size
          </label>
          <input
            id={inputId}
            type="number"
            min={1}
            max={convoy.progress.total}
            step={1}
            inputMode="numeric"
            value={auto ? '' : value}
            placeholder={auto ? 'auto' : ''}
            onChange={(e) => setDraft(e.target.value)}
            disabled={auto || pending !== null}
            className={`${INPUT} w-20`}
            data-testid="wave-size-input"
          />
        </div>
        <label className="flex items-center gap-1.5 pb-1.5 text-sm">
          <input
            type="checkbox"
            checked={auto}
            onChange={(e) => setAuto(e.target.checked)}
            disabled={pending !== null}
            className="h-4 w-4 accent-sky-600"
            data-testid="wave-size-auto"
          />
          auto
        </label>
        <button type="submit" disabled={pending !== null || !live} className={BUTTON} data-testid="stagger-button">
          {pending === 'waves' || pending === 'restagger' ? 'Applying…' : held ? 'Dispatch in waves' : 'Re-stagger'}
        </button>
        {held && (
          <button
            type="button"
            onClick={() => void act('all')}
            disabled={pending !== null || !live}
            className={BUTTON_QUIET}
            data-testid="dispatch-all-button"
          >
            {pending === 'all' ? 'Dispatching…' : 'Dispatch all at once'}
          </button>
        )}
      </div>
      {convoy.status === 'open' && convoy.beads[0] && (
        <WhatIfPreview
          rig={convoy.beads[0].rig}
          change={{ kind: 'stagger', convoy: convoy.id, waveSize: auto ? convoy.suggestedWaveSize : Number(value) || null }}
          basis={`plan ${convoy.waveSize} in ${convoy.waves.length}, ${held ? 'held' : 'dispatched'}`}
          label="Preview this wave size"
        />
      )}
      <p className="text-xs text-slate-500">
        {convoy.suggestedWaveSize !== null
          ? `Suggested: ${convoy.suggestedWaveSize} (from the Refinery’s recent merge throughput; “auto” uses it).`
          : null}
        {convoy.waveSize !== null && ` Current plan: waves of ${convoy.waveSize}.`}
        {!live && ' Actions wait until the page is live again.'}
      </p>
      <p
        role="status"
        aria-live="polite"
        data-testid="convoy-action-result"
        className={`min-h-5 text-sm ${result === null ? '' : result.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}`}
      >
        {result?.text}
      </p>
    </form>
  );
}
