'use client';
/** Pieces the alerts page's sections share: panel styles, how times read, a refetching GET. */
import { useEffect, useState } from 'react';

export const PANEL = 'rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900';
export const PANEL_TITLE = 'mb-3 text-sm font-semibold uppercase tracking-wide text-slate-500';

export const clockTime = (at: number | null) =>
  at === null
    ? '—'
    : new Date(at).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** GET a JSON list, again whenever `refreshKey` changes; `reload` after an action. */
export function useFetched<T>(url: string, refreshKey: unknown): { data: T | null; error: string | null; reload: () => void } {
  const [state, setState] = useState<{ data: T | null; error: string | null }>({ data: null, error: null });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let live = true;
    fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(async (res) => {
        const body = await res.json().catch(() => null);
        if (!live) return;
        if (res.ok) setState({ data: body as T, error: null });
        else setState((s) => ({ ...s, error: body?.error?.message ?? `HTTP ${res.status}` }));
      })
      .catch(() => live && setState((s) => ({ ...s, error: 'the server is unreachable' })));
    return () => {
      live = false;
    };
  }, [url, refreshKey, nonce]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}
