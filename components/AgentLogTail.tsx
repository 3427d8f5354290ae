'use client';
/**
 * The end of one polecat's agent log (what its agent printed, and the runtime's own
 * `[gastown]` lines), refreshed every few seconds while shown. Says when it could not
 * load rather than keep showing an old tail as if it were current.
 */
import { useEffect, useState } from 'react';
import type { PolecatView } from '@/contracts/town';

const REFRESH_MS = 3_000;
/** Terminal colour codes some CLIs print even into a pipe: noise on a page. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

interface Tail {
  text: string;
  omittedBytes: number;
  updatedAt: number | null;
}

export function AgentLogTail({ rig, polecats }: { rig: string; polecats: PolecatView[] }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const name = chosen ?? polecats.find((p) => p.beadId)?.name ?? polecats[0]?.name ?? null;
  const [tail, setTail] = useState<{ name: string; tail: Tail } | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    if (!name) return;
    let cancelled = false;
    const load = async () => {
      try {
        const res = await fetch(`/api/rigs/${encodeURIComponent(rig)}/polecats/${encodeURIComponent(name)}/log`);
        if (!res.ok) throw new Error(String(res.status));
        const body = (await res.json()) as Tail;
        if (!cancelled) {
          setTail({ name, tail: body });
          setFailed(false);
        }
      } catch {
        if (!cancelled) setFailed(true);
      }
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [rig, name]);

  if (!name) return <p className="text-sm text-slate-500">No polecats yet.</p>;
  const shown = tail?.name === name ? tail.tail : null;
  return (
    <div className="space-y-2" data-testid="agent-log">
      <label className="flex items-center gap-2 text-sm">
        <span className="text-slate-500">Polecat</span>
        <select
          className="rounded border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-950"
          value={name}
          onChange={(e) => setChosen(e.target.value)}
          data-testid="agent-log-polecat"
        >
          {polecats.map((p) => (
            <option key={p.id} value={p.name}>
              {p.name}
              {p.beadId ? ` · ${p.beadId}` : ''}
            </option>
          ))}
        </select>
        {shown?.updatedAt && (
          <span className="text-xs text-slate-500">written {new Date(shown.updatedAt).toLocaleTimeString()}</span>
        )}
      </label>
      {failed && (
        <p className="text-xs text-rose-700 dark:text-rose-400" role="status">
          Log unavailable: retrying.
        </p>
      )}
      {shown === null ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : shown.text === '' ? (
        <p className="text-sm text-slate-500" data-testid="agent-log-empty">
          No agent output yet (the scripted agent writes no log).
        </p>
      ) : (
        <pre
          className="max-h-72 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-950 p-2 font-mono text-[11px] leading-snug text-slate-200"
          data-testid="agent-log-text"
        >
          {shown.omittedBytes > 0 && `[… ${shown.omittedBytes} earlier bytes]\n`}
          {shown.text.replace(ANSI, '')}
        </pre>
      )}
    </div>
  );
}
