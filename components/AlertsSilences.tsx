'use client';
/**
 * Silences in force or scheduled, each with its matchers, reason, author and end, and (for
 * operators) a button to end it now; and a form to silence by rule and rig, which always
 * asks for a reason and a duration. Durations are a person's: real time, whatever the
 * engine's time scale (the server turns them into engine time), and the page says so when
 * the two differ.
 */
import { useState, type FormEvent } from 'react';
import type { Silence, AlertRule } from '@/contracts/alerts';
import { callCommand } from '@/lib/commands';
import { engineClockLabel, formatDuration } from '@/lib/format';
import { PANEL, PANEL_TITLE } from './AlertsShared';

const INPUT =
  'rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100';
const DURATIONS: Array<[string, number]> = [
  ['1 h', 3_600_000],
  ['4 h', 4 * 3_600_000],
  ['24 h', 24 * 3_600_000],
  ['7 days', 7 * 24 * 3_600_000],
];

export function AlertsSilences({
  silences,
  now,
  timeScale,
  canAct,
  rules,
}: {
  silences: Silence[];
  /** Engine time. */
  now: number | null;
  /** Engine ms per real ms (null: unknown, taken as 1). */
  timeScale: number | null;
  canAct: boolean;
  rules: AlertRule[];
}) {
  const [rule, setRule] = useState('');
  const [rig, setRig] = useState('');
  const [reason, setReason] = useState('');
  const [duration, setDuration] = useState(DURATIONS[0][1]);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const clock = engineClockLabel(timeScale);
  /** Engine ms as a person's (real) time. */
  const real = (engineMs: number) => formatDuration(engineMs / (timeScale ?? 1));
  /** A time left, in real time, and in engine time too when the two differ. */
  const left = (engineMs: number) =>
    clock ? `${real(engineMs)} real time (${formatDuration(engineMs)} of ${clock})` : real(engineMs);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const matchers = [
      ...(rule ? [{ name: 'rule', value: rule }] : []),
      ...(rig.trim() ? [{ name: 'rig', value: rig.trim() }] : []),
    ];
    setBusy(true);
    const r = await callCommand('alert.silence', { matchers, reason, durationMs: duration });
    setBusy(false);
    setResult({ ok: r.ok, text: r.ok ? 'Silence created' : r.message });
    if (r.ok) setReason('');
  };

  const expire = async (id: string) => {
    setBusy(true);
    const r = await callCommand('silence.expire', { id });
    setBusy(false);
    setResult({ ok: r.ok, text: r.ok ? 'Silence ended' : r.message });
  };

  return (
    <section className={PANEL} aria-label="Silences" data-testid="alerts-silences">
      <h2 className={PANEL_TITLE}>Silences ({silences.length})</h2>
      {silences.length === 0 ? (
        <p className="text-sm text-slate-500">No silence in force.</p>
      ) : (
        <ul className="space-y-2 text-sm">
          {silences.map((s) => (
            <li
              key={s.id}
              className="flex flex-wrap items-center justify-between gap-2 border-t border-slate-200 pt-2 dark:border-slate-800"
              data-testid="silence-row"
            >
              <div>
                <p>
                  {s.matchers.map((m) => (
                    <code
                      key={m.name}
                      className="mr-1 rounded bg-slate-200 px-1 text-xs text-slate-800 dark:bg-slate-800 dark:text-slate-200"
                    >
                      {m.name}={m.value}
                    </code>
                  ))}
                  <span className="text-slate-500 dark:text-slate-400">
                    by {s.createdBy} · {now === null ? '' : s.startsAt > now ? `starts in ${left(s.startsAt - now)} · ` : ''}
                    <span data-testid="silence-ends">ends in {now === null ? '…' : left(s.endsAt - now)}</span>
                  </span>
                </p>
                <p className="text-slate-700 dark:text-slate-300">“{s.reason}”</p>
              </div>
              {canAct && (
                <button
                  type="button"
                  className="rounded bg-slate-700 px-2 py-1 text-xs font-medium text-slate-100 hover:bg-slate-600 disabled:opacity-50"
                  disabled={busy}
                  onClick={() => expire(s.id)}
                  data-testid="silence-expire"
                >
                  End now
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canAct && (
        <form onSubmit={create} className="mt-4 flex flex-wrap items-end gap-2" aria-label="New silence">
          <label className="text-xs text-slate-500">
            Rule
            <select className={`${INPUT} block`} value={rule} onChange={(e) => setRule(e.target.value)}>
              <option value="">any rule</option>
              {rules.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
          <label className="text-xs text-slate-500">
            Rig
            <input className={`${INPUT} block w-36`} value={rig} onChange={(e) => setRig(e.target.value)} placeholder="any rig" />
          </label>
          <label className="flex-1 text-xs text-slate-500">
            Reason
            <input
              className={`${INPUT} block w-full`}
              required
              minLength={3}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="Why it is muted"
            />
          </label>
          <label className="text-xs text-slate-500">
            {clock ? 'For (real time)' : 'For'}
            <select className={`${INPUT} block`} value={duration} onChange={(e) => setDuration(Number(e.target.value))}>
              {DURATIONS.map(([label, ms]) => (
                <option key={ms} value={ms}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button
            type="submit"
            disabled={busy}
            className="rounded bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-600 disabled:opacity-50"
          >
            Silence
          </button>
          {clock && (
            <p className="basis-full text-xs text-slate-500" data-testid="silence-clock">
              Durations are real time: a 1 h silence lasts a real hour, {formatDuration(3_600_000 * (timeScale ?? 1))} of {clock}.
            </p>
          )}
        </form>
      )}
      {result && (
        <p
          role="status"
          className={`mt-2 text-sm ${result.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}`}
        >
          {result.text}
        </p>
      )}
    </section>
  );
}
