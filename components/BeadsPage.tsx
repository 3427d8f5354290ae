'use client';
/**
 * The beads page: every bead, newest first, filtered by status (several at once), rig and
 * text; live (refetched when the town announces a change, at most every 2 s); and, for
 * operators, a form that creates one through POST /api/beads and shows the server's
 * reason when it refuses.
 */
import Link from 'next/link';
import { useEffect, useState, type FormEvent } from 'react';
import type { Bead } from '@/contracts/records';
import { formatDuration } from '@/lib/format';
import { csrfHeaders, useSession } from '@/lib/session';
import { BUTTON, INPUT, LINK, PageHeader, PANEL, PANEL_TITLE, Pill, StaleNotice } from './ConvoyParts';
import { useBrowserNow, useLiveQuery } from './useConvoyFeed';

const STATUSES: Bead['status'][] = ['open', 'hooked', 'in_progress', 'blocked', 'done', 'closed'];
const LIMIT = 500;

export function BeadsPage() {
  const [statuses, setStatuses] = useState<Bead['status'][]>([]);
  const [rig, setRig] = useState('');
  const [text, setText] = useState('');
  // A link to one bead (components/BeadLink.tsx) opens this page filtered to it.
  const [focus, setFocus] = useState<string | null>(null);
  useEffect(() => {
    const q = new URLSearchParams(window.location.search).get('q');
    if (q) {
      setText(q);
      setFocus(q);
    }
  }, []);
  const params = new URLSearchParams({ limit: String(LIMIT) });
  if (statuses.length > 0) params.set('status', statuses.join(','));
  if (rig) params.set('rig', rig);
  const query = useLiveQuery<Bead[]>(`/api/beads?${params}`, 2_000);
  const browserNow = useBrowserNow();
  const session = useSession();
  const { data, live, overview, overviewAt } = query;
  const now =
    overview && overviewAt ? overview.now + (live ? Math.max(0, browserNow - overviewAt) * overview.timeScale : 0) : null;
  const rigs = overview?.rigs.map((r) => r.name) ?? [];
  const needle = text.trim().toLowerCase();
  const beads = data?.filter(
    (b) => !needle || [b.id, b.title, b.assignee ?? '', ...b.labels].some((s) => s.toLowerCase().includes(needle)),
  );

  const toggle = (s: Bead['status']) => setStatuses((cur) => (cur.includes(s) ? cur.filter((x) => x !== s) : [...cur, s]));

  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <PageHeader
        back={{ href: '/', label: 'Town overview' }}
        title="Beads"
        subtitle="Units of work: what is open, who holds it, what landed"
        query={query}
        browserNow={browserNow}
      />
      <StaleNotice query={query} />
      <div className="grid gap-4 lg:grid-cols-3">
        <section className={`${PANEL} lg:col-span-2`} aria-label="Beads">
          <div className="mb-3 flex flex-wrap items-end gap-3 text-sm">
            <fieldset className="flex flex-wrap items-center gap-2">
              <legend className="sr-only">Status</legend>
              {STATUSES.map((s) => (
                <label key={s} className="flex items-center gap-1">
                  <input
                    type="checkbox"
                    checked={statuses.includes(s)}
                    onChange={() => toggle(s)}
                    data-testid={`filter-status-${s}`}
                  />
                  {s.replace('_', ' ')}
                </label>
              ))}
            </fieldset>
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
            <label className="flex items-center gap-1">
              Search
              <input
                className={INPUT}
                type="search"
                value={text}
                onChange={(e) => setText(e.target.value)}
                placeholder="id, title, assignee"
                data-testid="filter-text"
              />
            </label>
          </div>
          {!beads ? (
            <p className={query.error ? 'text-rose-700 dark:text-rose-500' : 'text-slate-500'} data-testid="loading">
              {query.error ? `Beads unavailable: ${query.error.message}` : 'Loading beads…'}
            </p>
          ) : beads.length === 0 ? (
            <p className="text-slate-500" data-testid="beads-empty">
              No beads match these filters.
            </p>
          ) : (
            <div className={`max-h-[70vh] overflow-auto ${live ? '' : 'opacity-60'}`}>
              <table className="w-full text-left text-sm">
                <thead className="sticky top-0 bg-white text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-900">
                  <tr>
                    <th className="py-1 pr-3">Id</th>
                    <th className="py-1 pr-3">Title</th>
                    <th className="py-1 pr-3">Status</th>
                    <th className="py-1 pr-3">P</th>
                    <th className="py-1 pr-3">Rig</th>
                    <th className="py-1 pr-3">Assignee</th>
                    <th className="py-1">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {beads.map((b) => (
                    <tr
                      key={b.id}
                      className={`border-t border-slate-200 dark:border-slate-800 ${b.id === focus ? 'bg-sky-50 dark:bg-sky-950' : ''}`}
                      data-testid="bead-row"
                      data-id={b.id}
                    >
                      <td className="py-1 pr-3 font-mono text-xs whitespace-nowrap">{b.id}</td>
                      <td className="max-w-xs truncate py-1 pr-3" title={b.title}>
                        {b.title}
                      </td>
                      <td className="py-1 pr-3">
                        <Pill status={b.status} />
                      </td>
                      <td className="py-1 pr-3 tabular-nums">P{b.priority}</td>
                      <td className="py-1 pr-3">
                        <Link href={`/rigs/${encodeURIComponent(b.rig)}`} className={LINK}>
                          {b.rig}
                        </Link>
                      </td>
                      <td className="py-1 pr-3 text-slate-500">{b.assignee ?? '—'}</td>
                      <td className="py-1 whitespace-nowrap text-slate-500">
                        {now === null ? '—' : `${formatDuration(Math.max(0, now - b.updatedAt))} ago`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {data && data.length >= LIMIT && (
                <p className="mt-2 text-xs text-slate-500">Showing the newest {LIMIT}; narrow the filters to see older ones.</p>
              )}
            </div>
          )}
        </section>
        {session?.role === 'operator' && <NewBeadForm rigs={rigs} onCreated={query.refresh} />}
      </div>
    </main>
  );
}

function NewBeadForm({ rigs, onCreated }: { rigs: string[]; onCreated: () => void }) {
  const [title, setTitle] = useState('');
  const [rig, setRig] = useState('');
  const [priority, setPriority] = useState(2);
  const [paths, setPaths] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    const input = {
      title,
      priority,
      ...(rig ? { rig } : {}),
      paths: paths.split(/[\s,]+/).filter(Boolean),
    };
    try {
      const res = await fetch('/api/beads', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await csrfHeaders()) },
        body: JSON.stringify(input),
      });
      const body = (await res.json().catch(() => ({}))) as Partial<Bead> & { error?: { message?: string } };
      if (!res.ok) setResult({ ok: false, message: body.error?.message ?? `failed (${res.status})` });
      else {
        setResult({ ok: true, message: `Created ${body.id ?? 'the bead'} on ${body.rig ?? 'its rig'}` });
        setTitle('');
        setPaths('');
        onCreated();
      }
    } catch {
      setResult({ ok: false, message: 'the server is unreachable' });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className={PANEL} aria-label="New bead">
      <h2 className={PANEL_TITLE}>New bead</h2>
      <form className="space-y-3 text-sm" onSubmit={submit}>
        <label className="block">
          Title
          <input
            className={`${INPUT} mt-1 w-full`}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            data-testid="bead-title"
          />
        </label>
        <div className="flex gap-3">
          <label className="block">
            Rig
            <select className={`${INPUT} mt-1 block`} value={rig} onChange={(e) => setRig(e.target.value)} data-testid="bead-rig">
              <option value="">routed by paths</option>
              {rigs.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label className="block">
            Priority
            <select
              className={`${INPUT} mt-1 block`}
              value={priority}
              onChange={(e) => setPriority(Number(e.target.value))}
              data-testid="bead-priority"
            >
              {[0, 1, 2, 3, 4].map((p) => (
                <option key={p} value={p}>
                  P{p}
                  {p === 0 ? ' (most urgent)' : ''}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label className="block">
          Paths (space or comma separated)
          <input
            className={`${INPUT} mt-1 w-full`}
            value={paths}
            onChange={(e) => setPaths(e.target.value)}
            placeholder="src/api/ docs/"
            data-testid="bead-paths"
          />
        </label>
        <button type="submit" className={BUTTON} disabled={busy}>
          {busy ? 'Creating…' : 'Create bead'}
        </button>
        {result && (
          <p
            className={result.ok ? 'text-emerald-600 dark:text-emerald-400' : 'text-rose-600 dark:text-rose-400'}
            data-testid="bead-result"
            data-ok={result.ok}
            role="status"
          >
            {result.message}
          </p>
        )}
      </form>
    </section>
  );
}
