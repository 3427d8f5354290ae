'use client';
/**
 * Read models the socket does not carry (a convoy, the convoy list, costs), kept live:
 * fetched once, then fetched again whenever the town announces a change (`town:overview`),
 * at most once per `minIntervalMs` so a busy town does not flood the server. The result
 * says how old the answer is, whether the last fetch failed and whether the socket is up,
 * so a page can say "unavailable" or "reconnecting" instead of showing an old answer as
 * current.
 */
import { useEffect, useState, type Dispatch, type SetStateAction } from 'react';
import type { TownOverview } from '@/contracts/town';
import { useTownStream, type Connection } from './useTownStream';

export interface FetchError {
  /** HTTP status; 0 when the server could not be reached. */
  status: number;
  message: string;
}

interface State<T> {
  data: T | null;
  /** The URL `data` answers (it lags behind the asked URL right after that changed). */
  dataUrl: string | null;
  /** Browser time of the last good answer. */
  fetchedAt: number | null;
  /** Why the last fetch failed; null when it succeeded. */
  error: FetchError | null;
}

export interface LiveJson<T> extends State<T> {
  /** Fetch now (after an action), not waiting for the next push. */
  refresh(): void;
}

export interface LiveQuery<T> extends LiveJson<T> {
  connection: Connection;
  /** The latest overview: engine time (`now`), `timeScale`, the rigs. */
  overview: TownOverview | null;
  /** Browser time the overview arrived. */
  overviewAt: number | null;
  /** True only while the socket is up and the last fetch of this URL succeeded. */
  live: boolean;
}

/** The fetch loop: one request at a time, throttled; answers for an old URL are dropped. */
function createFeed<T>(setState: Dispatch<SetStateAction<State<T>>>) {
  let url = '';
  let minIntervalMs = 1_000;
  let inFlight = false;
  let again = false;
  let lastStart = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function run() {
    const target = url;
    if (!target) return; // closed
    inFlight = true;
    lastStart = Date.now();
    try {
      const res = await fetch(target, { cache: 'no-store', headers: { accept: 'application/json' } });
      const body = (await res.json().catch(() => null)) as (T & { error?: { message?: string } }) | null;
      if (target !== url) return;
      if (res.ok && body) setState({ data: body, dataUrl: target, fetchedAt: Date.now(), error: null });
      else {
        const message = body?.error?.message ?? `the server answered ${res.status}`;
        setState((s) => ({ ...s, error: { status: res.status, message } }));
      }
    } catch {
      if (target === url) setState((s) => ({ ...s, error: { status: 0, message: 'the server is unreachable' } }));
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  /** Fetch soon: after the request in flight, and no sooner than minIntervalMs after the last. */
  function schedule() {
    if (inFlight) {
      again = true;
      return;
    }
    if (timer || !url) return;
    timer = setTimeout(
      () => {
        timer = null;
        void run();
      },
      Math.max(0, lastStart + minIntervalMs - Date.now()),
    );
  }

  function refresh() {
    if (inFlight) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    timer = null;
    void run();
  }

  return {
    open(nextUrl: string, interval: number) {
      url = nextUrl;
      minIntervalMs = interval;
      refresh();
    },
    schedule,
    refresh,
    close() {
      if (timer) clearTimeout(timer);
      timer = null;
      url = '';
    },
  };
}

/**
 * A URL fetched now and again after each change of `trigger` (throttled). For components
 * whose page already holds the town stream; `useLiveQuery` opens one itself.
 */
export function useLiveJson<T>(url: string, trigger: unknown, minIntervalMs = 1_000): LiveJson<T> {
  const [state, setState] = useState<State<T>>({ data: null, dataUrl: null, fetchedAt: null, error: null });
  const [feed] = useState(() => createFeed<T>(setState));

  useEffect(() => {
    feed.open(url, minIntervalMs);
    return () => feed.close();
  }, [feed, url, minIntervalMs]);

  useEffect(() => {
    if (trigger) feed.schedule();
  }, [feed, trigger]);

  return { ...state, refresh: feed.refresh };
}

/** A URL kept live by the town's pushes (and the snapshot after each reconnect). */
export function useLiveQuery<T>(url: string, minIntervalMs = 1_000): LiveQuery<T> {
  const { connection, overview, receivedAt } = useTownStream();
  const json = useLiveJson<T>(url, overview, minIntervalMs);
  return {
    connection,
    overview,
    overviewAt: receivedAt,
    ...json,
    live: connection === 'live' && json.error === null && json.dataUrl === url,
  };
}

/** Browser time, ticking once a second, so ages move between answers. */
export function useBrowserNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(id);
  }, []);
  return now;
}
