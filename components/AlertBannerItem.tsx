'use client';
/**
 * One alert as a banner: its severity's colour, what fired and where (a link to the rig),
 * since when, who acknowledged it, and, for operators, the actions: acknowledge, silence
 * (asks for a reason and a duration) and the seed's recommended remedy, which names the
 * target it sets and asks first. While the remedy's effect is awaited (the server marks it
 * `applied`) the banner says so instead of offering it again. Viewers see the same alert
 * without buttons.
 */
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import type { AlertView, Recommendation, Severity } from '@/contracts/alerts';
import { callCommand } from '@/lib/commands';
import { engineClockLabel, formatDuration } from '@/lib/format';
import { ConfirmDialog } from './ConfirmDialog';

export const SEVERITY_STYLE: Record<Severity, { box: string; chip: string }> = {
  critical: {
    box: 'border-rose-500 bg-rose-50 text-rose-950 dark:bg-rose-950/80 dark:text-rose-50',
    chip: 'bg-rose-600 text-white',
  },
  warning: {
    box: 'border-amber-500 bg-amber-50 text-amber-950 dark:bg-amber-950/80 dark:text-amber-50',
    chip: 'bg-amber-500 text-slate-950',
  },
  info: { box: 'border-sky-500 bg-sky-50 text-sky-950 dark:bg-sky-950/80 dark:text-sky-50', chip: 'bg-sky-700 text-white' },
};

const SILENCE_DURATIONS: Array<[string, number]> = [
  ['30 min', 30 * 60_000],
  ['1 h', 3_600_000],
  ['4 h', 4 * 3_600_000],
  ['24 h', 24 * 3_600_000],
];

const BUTTON = 'rounded px-2 py-1 text-xs font-medium disabled:cursor-not-allowed disabled:opacity-50';
/** A remedy whose effect is awaited: said, not offered (to viewers too). */
const PENDING = 'rounded border border-current px-2 py-1 text-xs font-medium opacity-90';

export function AlertBannerItem({
  alert,
  now,
  canAct,
  onResult,
  timeScale = null,
}: {
  alert: AlertView;
  /** Engine time now (null while unknown). */
  now: number | null;
  canAct: boolean;
  /** The engine's: past 1 the silence form says its durations are real time (the server's rule). */
  timeScale?: number | null;
  onResult?: (message: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [silencing, setSilencing] = useState(false);
  const [reason, setReason] = useState('');
  const [duration, setDuration] = useState(SILENCE_DURATIONS[1][1]);
  const [message, setMessage] = useState<string | null>(null);
  const style = SEVERITY_STYLE[alert.severity];
  const rig = alert.labels.rig;
  const since = alert.firedAt ?? alert.activeAt;

  const run = async (name: string, input: unknown, done: string) => {
    setBusy(true);
    const r = await callCommand(name, input);
    setBusy(false);
    const text = r.ok ? done : r.message;
    setMessage(r.ok ? null : text);
    onResult?.(text);
    return r.ok ? null : text;
  };

  const silence = async (e: FormEvent) => {
    e.preventDefault();
    if (
      (await run('alert.silence', { alertId: alert.id, reason, durationMs: duration }, `${alert.ruleName} silenced`)) === null
    ) {
      setSilencing(false);
      setReason('');
    }
  };

  return (
    <article
      role="alert"
      className={`rounded-md border-l-4 px-3 py-2 text-sm shadow ${style.box}`}
      data-testid="alert-banner"
      data-alert-id={alert.id}
      data-rule={alert.ruleId}
      data-rig={rig ?? ''}
      data-severity={alert.severity}
      data-state={alert.state}
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="flex flex-wrap items-baseline gap-x-2">
          <span className={`rounded px-1.5 py-0.5 text-xs font-bold uppercase ${style.chip}`}>{alert.severity}</span>
          <strong>{alert.ruleName}</strong>
          <span>
            {rig ? (
              <>
                on{' '}
                <Link
                  className="font-mono underline decoration-dotted"
                  href={`/rigs/${encodeURIComponent(rig)}`}
                  data-testid="alert-where"
                >
                  {rig}
                </Link>
              </>
            ) : (
              <span data-testid="alert-where">town-wide</span>
            )}
          </span>
          <span className="opacity-80" data-testid="alert-since">
            {alert.state === 'firing' ? 'firing' : 'pending'} for {now === null ? '…' : formatDuration(now - since)}
          </span>
          {alert.acknowledgedBy && (
            <span className="opacity-80" data-testid="alert-acked">
              · acknowledged by {alert.acknowledgedBy}
            </span>
          )}
          {alert.silencedBy && <span className="opacity-80">· silenced</span>}
          {alert.inhibitedBy && <span className="opacity-80">· muted by a more severe alert</span>}
        </p>
        {!canAct &&
          alert.recommendations.map(
            (r) =>
              r.applied && (
                <span key={r.label} className={PENDING} data-testid="alert-remedy-pending">
                  {r.applied.status}
                </span>
              ),
          )}
        {canAct && (
          <div className="flex flex-wrap items-center gap-2" data-testid="alert-actions">
            {alert.recommendations.map((r) => (
              <RecommendationButton
                key={r.label}
                r={r}
                disabled={busy}
                onRun={(c) => run(c.command, c.input, `${c.label}: done`)}
              />
            ))}
            {alert.state === 'firing' && !alert.acknowledgedBy && (
              <button
                type="button"
                className={`${BUTTON} bg-slate-800 text-slate-100 hover:bg-slate-700`}
                disabled={busy}
                onClick={() => run('alert.ack', { id: alert.id }, `${alert.ruleName} acknowledged`)}
              >
                Acknowledge
              </button>
            )}
            {!alert.silencedBy && (
              <button
                type="button"
                className={`${BUTTON} bg-slate-800 text-slate-100 hover:bg-slate-700`}
                disabled={busy}
                aria-expanded={silencing}
                onClick={() => setSilencing((v) => !v)}
              >
                Silence…
              </button>
            )}
          </div>
        )}
      </div>
      <p className="mt-0.5 text-xs opacity-90" data-testid="alert-summary">
        {alert.summary}
      </p>
      {canAct && silencing && (
        <form onSubmit={silence} className="mt-2 flex flex-wrap items-center gap-2" aria-label="Silence this alert">
          <input
            required
            minLength={3}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="Why (e.g. known, fix deploying)"
            aria-label="Reason"
            className="min-w-64 flex-1 rounded border border-slate-400 bg-white px-2 py-1 text-xs text-slate-900 dark:border-slate-600 dark:bg-slate-950 dark:text-slate-100"
          />
          <select
            value={duration}
            onChange={(e) => setDuration(Number(e.target.value))}
            aria-label="Duration"
            className="rounded border border-slate-400 bg-white px-2 py-1 text-xs text-slate-900 dark:border-slate-600 dark:bg-slate-950 dark:text-slate-100"
          >
            {SILENCE_DURATIONS.map(([label, ms]) => (
              <option key={ms} value={ms}>
                for {label}
              </option>
            ))}
          </select>
          {engineClockLabel(timeScale) && (
            <span className="text-xs opacity-90" data-testid="silence-real-time" title={`not ${engineClockLabel(timeScale)}`}>
              of real time
            </span>
          )}
          <button
            type="submit"
            className={`${BUTTON} bg-slate-900 text-white hover:bg-slate-700 dark:bg-slate-100 dark:text-slate-900 dark:hover:bg-white`}
            disabled={busy}
          >
            Silence
          </button>
        </form>
      )}
      {message && (
        <p role="status" className="mt-1 text-xs font-medium">
          {message}
        </p>
      )}
    </article>
  );
}

type CommandRemedy = Extract<Recommendation, { kind: 'command' }>;

function RecommendationButton({
  r,
  disabled,
  onRun,
}: {
  r: Recommendation;
  disabled: boolean;
  /** Resolves to null when it ran, else the server's reason. */
  onRun: (r: CommandRemedy) => Promise<string | null>;
}) {
  const [confirming, setConfirming] = useState(false);
  // Run from this banner: not offered again before the server's next evaluation marks it applied.
  const [sent, setSent] = useState(false);
  const cls = `${BUTTON} bg-emerald-700 text-white hover:bg-emerald-600`;
  if (r.applied || sent) {
    return (
      <span className={PENDING} data-testid="alert-remedy-pending">
        {r.applied?.status ?? `${r.label}: applied — waiting for the alert to re-evaluate`}
      </span>
    );
  }
  if (r.kind === 'link') {
    return (
      <Link href={r.href} className={cls} title={r.why} data-testid="alert-recommendation">
        {r.label}
      </Link>
    );
  }
  return (
    <>
      <button
        type="button"
        className={cls}
        title={r.why}
        disabled={disabled}
        onClick={() => setConfirming(true)}
        data-testid="alert-recommendation"
      >
        {r.label}
      </button>
      {confirming && (
        <ConfirmDialog
          title={`${r.label}?`}
          confirmLabel={r.label}
          tone="caution"
          onConfirm={async () => {
            const refusal = await onRun(r);
            if (refusal === null) setSent(true);
            return refusal;
          }}
          onClose={() => setConfirming(false)}
          summary={
            <>
              <p>{r.why}</p>
              <p>
                Runs <span className="font-mono">{r.command}</span> <span className="font-mono">{JSON.stringify(r.input)}</span>.
                The alert stays until its metric is re-evaluated below the threshold; meanwhile this remedy is not offered again.
              </p>
            </>
          }
        />
      )}
    </>
  );
}
