'use client';
/**
 * The alerts in play as a live stream (topic `alerts`): pending and firing alerts with
 * their silences, refreshed as alerts change. Shared by the banners and the alerts page.
 */
import { useEffect, useState } from 'react';
import type { AlertChange, AlertsView } from '@/contracts/alerts';
import { streamClient, type Connection } from '@/lib/stream-client';

export interface AlertStream {
  connection: Connection;
  view: AlertsView | null;
  /** Browser time the view arrived (ages run from here). */
  receivedAt: number | null;
  /** Bumped on every alert change: a cue for pages to refetch history. */
  changes: number;
}

export function useAlertStream(enabled = true): AlertStream {
  const [state, setState] = useState<AlertStream>({ connection: 'connecting', view: null, receivedAt: null, changes: 0 });

  useEffect(() => {
    if (!enabled) return;
    const client = streamClient();
    const offConnection = client.onConnection((connection) => setState((s) => ({ ...s, connection })));
    const off = client.subscribe<AlertsView>('alerts', {
      snapshot: (view) => setState((s) => ({ connection: 'live', view, receivedAt: Date.now(), changes: s.changes + 1 })),
      delta: (items, view) => {
        const changes = items.filter((i): i is { kind: 'alert'; ts: number; change: AlertChange } => i.kind === 'alert').length;
        setState((s) => ({
          connection: 'live',
          view: view ?? s.view,
          receivedAt: view ? Date.now() : s.receivedAt,
          changes: s.changes + changes,
        }));
      },
    });
    if (client.connection !== 'connecting') setState((s) => ({ ...s, connection: client.connection }));
    return () => {
      off();
      offConnection();
    };
  }, [enabled]);

  return state;
}

/** Engine time now, estimated from the view's time and the time scale, ticking every second. */
export function useEngineNow(view: AlertsView | null, receivedAt: number | null): number | null {
  const [tick, setTick] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setTick(Date.now()), 1_000);
    return () => clearInterval(t);
  }, []);
  if (!view || receivedAt === null) return null;
  return view.now + Math.max(0, tick - receivedAt) * (view.timeScale ?? 1);
}
