'use client';
/**
 * The worker-count control of a rig's Refinery. The server validates (1-16, whole
 * numbers) and its message is shown as it is; the input only suggests the range, so a
 * bad value gets the same clear answer here as from the API or the CLI. More workers
 * cost more (each runs a merge request's checks at once), so scaling up asks first.
 */
import { useId, useState, type FormEvent } from 'react';
import { plural } from '@/lib/format';
import { csrfHeaders } from '@/lib/session';
import { ConfirmDialog } from './ConfirmDialog';
import { WhatIfPreview } from './WhatIfPreview';

type Result = { ok: boolean; text: string };

export function RefineryScaleControl({ rig, workers, queueDepth }: { rig: string; workers: number; queueDepth: number }) {
  // null until the operator types: until then the field follows the live worker count.
  const [draft, setDraft] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const value = draft ?? String(workers);
  const inputId = useId();

  function apply(event: FormEvent) {
    event.preventDefault();
    if (pending) return;
    const asked = Number(value.trim());
    // Up asks first; down, equal and bad values go straight to the server (which explains a bad one).
    if (value.trim() !== '' && Number.isInteger(asked) && asked > workers && asked <= 16) setConfirming(asked);
    else void send();
  }

  /** Resolves to null when scaled, else the server's reason (also shown under the control). */
  async function send(): Promise<string | null> {
    setPending(true);
    setResult(null);
    const trimmed = value.trim();
    try {
      const response = await fetch(`/api/rigs/${encodeURIComponent(rig)}/refinery/scale`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await csrfHeaders()) },
        body: JSON.stringify({ workers: trimmed === '' ? null : Number(trimmed) }),
      });
      const body = await response.json().catch(() => null);
      if (response.ok) {
        const n = body?.refineryWorkers ?? Number(trimmed);
        setResult({ ok: true, text: `Refinery scaled to ${n} worker${n === 1 ? '' : 's'}` });
        setDraft(null);
        return null;
      }
      const text = body?.error?.message ?? `The server answered ${response.status}`;
      setResult({ ok: false, text });
      return text;
    } catch {
      const text = 'Could not reach the server; nothing was changed';
      setResult({ ok: false, text });
      return text;
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={apply} noValidate className="space-y-2" aria-label="Scale the Refinery">
      <label htmlFor={inputId} className="block text-xs uppercase tracking-wide text-slate-500">
        Refinery workers (1–16)
      </label>
      <div className="flex items-center gap-2">
        <input
          id={inputId}
          type="number"
          min={1}
          max={16}
          step={1}
          inputMode="numeric"
          value={value}
          onChange={(e) => setDraft(e.target.value)}
          disabled={pending}
          className="w-20 rounded border border-slate-300 bg-white px-2 py-1 text-base text-slate-900 tabular-nums focus:outline-none focus:ring-2 focus:ring-sky-500 disabled:opacity-50 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100"
          data-testid="workers-input"
        />
        <button
          type="submit"
          disabled={pending}
          className="rounded bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-600 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed disabled:opacity-50"
          data-testid="workers-apply"
        >
          {pending ? 'Applying…' : 'Apply'}
        </button>
        <span className="text-sm text-slate-500">now {workers}</span>
      </div>
      <p
        role="status"
        aria-live="polite"
        data-testid="scale-result"
        className={`min-h-5 text-sm ${result === null ? '' : result.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}`}
      >
        {result?.text}
      </p>
      {confirming !== null && (
        <ConfirmDialog
          title={`Scale ${rig}’s Refinery to ${confirming} workers?`}
          confirmLabel={`Scale to ${confirming}`}
          tone="caution"
          onConfirm={send}
          onClose={() => setConfirming(null)}
          summary={
            <p>
              Adds {plural(confirming - workers, 'Refinery worker')} ({workers} → {confirming}): up to {confirming} merge requests
              have their checks run at once, {confirming}× the machine time of one, for the {plural(queueDepth, 'merge request')}{' '}
              queued now. Landing order is kept.
            </p>
          }
        />
      )}
      <WhatIfPreview
        rig={rig}
        change={{ kind: 'scale', workers: Number(value) }}
        basis={`workers ${workers}`}
        label={`Preview ${value || '?'} worker${value === '1' ? '' : 's'}`}
      />
    </form>
  );
}
