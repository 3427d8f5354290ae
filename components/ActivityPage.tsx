'use client';
/**
 * The activity page: every operator action (the audit log: who, what, with which input,
 * accepted or refused and why, when) beside the engine's events, newest first, filtered
 * by event type, actor and rig; live (refetched when the town announces a change, at most
 * every 2 s).
 */
import { useState } from 'react';
import type { AuditRecord, StoredEvent } from '@/contracts/activity';
import { formatDuration } from '@/lib/format';
import { BeadLink } from './BeadLink';
import { INPUT, PageHeader, PANEL, PANEL_TITLE, StaleNotice, clockTime } from './ConvoyParts';
import { useBrowserNow, useLiveJson, useLiveQuery } from './useConvoyFeed';

const LIMIT = 200;
const SUMMARY_CHARS = 140;

/** A number as people read it: whole numbers as they are, fractions to 3 significant digits. */
export function roundForPeople(n: number): number {
  if (Number.isInteger(n) || !Number.isFinite(n)) return n;
  return Math.abs(n) >= 100 ? Math.round(n) : Number(n.toPrecision(3));
}

/** An object's plain fields as `key=value` (numbers rounded), short enough for one line. */
export function summarize(value: unknown, skip: string[] = []): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  const parts = Object.entries(value as Record<string, unknown>)
    .filter(([k, v]) => !skip.includes(k) && v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : typeof v === 'number' ? roundForPeople(v) : String(v)}`);
  const line = parts.join(' ');
  return line.length > SUMMARY_CHARS ? `${line.slice(0, SUMMARY_CHARS - 1)}…` : line;
}

function beadOf(data: unknown): string | null {
  const bead = typeof data === 'object' && data !== null ? (data as { bead?: unknown }).bead : undefined;
  return typeof bead === 'string' ? bead : null;
}

function rigOf(input: unknown): string | null {
  const rig = typeof input === 'object' && input !== null ? (input as { rig?: unknown }).rig : undefined;
  return typeof rig === 'string' ? rig : null;
}

export function ActivityPage() {
  const [types, setTypes] = useState('');
  const [actor, setActor] = useState('');
  const [rig, setRig] = useState('');

  const eventParams = new URLSearchParams({ limit: String(LIMIT) });
  const typeList = types
    .split(/[\s,]+/)
    .filter(Boolean)
    .join(',');
  if (typeList) eventParams.set('type', typeList);
  if (rig) eventParams.set('rig', rig);
  const events = useLiveQuery<StoredEvent[]>(`/api/events?${eventParams}`, 2_000);

  const auditParams = new URLSearchParams({ limit: String(LIMIT) });
  if (actor.trim()) auditParams.set('actor', actor.trim());
  const audit = useLiveJson<AuditRecord[]>(`/api/audit?${auditParams}`, events.overview, 2_000);

  const browserNow = useBrowserNow();
  const { overview, overviewAt, live } = events;
  const now =
    overview && overviewAt ? overview.now + (live ? Math.max(0, browserNow - overviewAt) * overview.timeScale : 0) : null;
  const when = (at: number) => `${clockTime(at)}${now === null ? '' : ` · ${formatDuration(Math.max(0, now - at))} ago`}`;
  const rigs = overview?.rigs.map((r) => r.name) ?? [];
  const seenTypes = [...new Set(events.data?.map((e) => e.type) ?? [])].sort();
  const actions = audit.data?.filter((a) => !rig || rigOf(a.input) === rig);
  const auditLive = live && audit.error === null;

  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <PageHeader
        back={{ href: '/', label: 'Town overview' }}
        title="Activity"
        subtitle="Who did what, and what the engine did, newest first"
        query={events}
        browserNow={browserNow}
      />
      <StaleNotice query={{ ...events, error: events.error ?? audit.error }} />
      <form className="flex flex-wrap items-end gap-3 text-sm" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label className="flex items-center gap-1">
          Event type
          <input
            className={INPUT}
            list="activity-types"
            value={types}
            onChange={(e) => setTypes(e.target.value)}
            placeholder="mr.merged, bead.created"
            data-testid="filter-type"
          />
          <datalist id="activity-types">
            {seenTypes.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label className="flex items-center gap-1">
          Actor
          <input
            className={INPUT}
            value={actor}
            onChange={(e) => setActor(e.target.value)}
            placeholder="local-operator"
            data-testid="filter-actor"
          />
        </label>
        <label className="flex items-center gap-1">
          Rig
          <select className={INPUT} value={rig} onChange={(e) => setRig(e.target.value)} data-testid="filter-rig">
            <option value="">all</option>
            {rigs.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
      </form>

      <div className="grid gap-4 lg:grid-cols-2">
        <section className={PANEL} aria-label="Operator actions">
          <h2 className={PANEL_TITLE}>Operator actions</h2>
          {!actions ? (
            <p className={audit.error ? 'text-rose-700 dark:text-rose-500' : 'text-slate-500'}>
              {audit.error ? `Audit log unavailable: ${audit.error.message}` : 'Loading…'}
            </p>
          ) : actions.length === 0 ? (
            <p className="text-slate-500" data-testid="audit-empty">
              No operator actions match.
            </p>
          ) : (
            <ul
              className={`max-h-[70vh] divide-y divide-slate-200 overflow-y-auto pr-1 text-sm dark:divide-slate-800 ${auditLive ? '' : 'opacity-60'}`}
            >
              {actions.map((a, i) => (
                <li
                  key={`${a.at}-${i}`}
                  className="py-1.5"
                  data-testid="audit-row"
                  data-action={a.action}
                  data-actor={a.actor}
                  data-ok={a.ok}
                >
                  <div className="flex flex-wrap items-baseline gap-2">
                    <span
                      className={`rounded px-1.5 py-0.5 text-xs font-medium text-white ${a.ok ? 'bg-emerald-700' : 'bg-rose-700'}`}
                    >
                      {a.ok ? 'ok' : 'refused'}
                    </span>
                    <span className="font-mono text-xs">{a.action}</span>
                    <span>
                      by <strong>{a.actor}</strong> <span className="text-slate-500">({a.role})</span>
                    </span>
                    <span className="ml-auto text-xs whitespace-nowrap text-slate-500">{when(a.at)}</span>
                  </div>
                  <div className="truncate font-mono text-xs text-slate-500" title={JSON.stringify(a.input)}>
                    {summarize(a.input) || '(no input)'}
                  </div>
                  {a.error && (
                    <div className="text-xs text-rose-600 dark:text-rose-400" data-testid="audit-error">
                      {a.error}
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className={PANEL} aria-label="Engine events">
          <h2 className={PANEL_TITLE}>Engine events</h2>
          {!events.data ? (
            <p className={events.error ? 'text-rose-700 dark:text-rose-500' : 'text-slate-500'}>
              {events.error ? `Events unavailable: ${events.error.message}` : 'Loading…'}
            </p>
          ) : events.data.length === 0 ? (
            <p className="text-slate-500" data-testid="events-empty">
              No events match.
            </p>
          ) : (
            <ul
              className={`max-h-[70vh] divide-y divide-slate-200 overflow-y-auto pr-1 text-sm dark:divide-slate-800 ${live ? '' : 'opacity-60'}`}
            >
              {events.data.map((e) => (
                <li key={e.id} className="py-1.5" data-testid="event-row" data-type={e.type}>
                  <div className="flex flex-wrap items-baseline gap-2">
                    <span className="font-mono text-xs font-semibold">{e.type}</span>
                    {e.rig && <span className="text-xs text-slate-500">{e.rig}</span>}
                    {typeof beadOf(e.data) === 'string' && (
                      <span className="text-xs">
                        <BeadLink id={beadOf(e.data)!} />
                      </span>
                    )}
                    <span className="ml-auto text-xs whitespace-nowrap text-slate-500">{when(e.at)}</span>
                  </div>
                  <div className="truncate font-mono text-xs text-slate-500">{summarize(e.data, ['type', 'at', 'rig'])}</div>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </main>
  );
}
