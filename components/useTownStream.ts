'use client';
/**
 * The town as a live stream (topic `town`): a snapshot on join, then overview updates,
 * resumed without a gap after a reconnect (lib/stream-client.ts). Connection state is
 * part of the result so pages can say "reconnecting" instead of showing a stale view as
 * if it were live. Charts read the persisted metric series (TownCharts), not this stream.
 */
import { useEffect, useState } from 'react';
import type { TownOverview } from '@/contracts/town';
import type { TownView } from '@/contracts/realtime';
import { streamClient, type Connection } from '@/lib/stream-client';

export type { Connection } from '@/lib/stream-client';

export interface TownStream {
  connection: Connection;
  overview: TownOverview | null;
  /** Browser time of the last message, to show the data's age. */
  receivedAt: number | null;
}

/** `initial`: the overview the server rendered the page with, shown until the socket's snapshot. */
export function useTownStream(initial: TownOverview | null = null): TownStream {
  const [state, setState] = useState<TownStream>(() => ({
    connection: 'connecting',
    overview: initial,
    receivedAt: initial ? Date.now() : null,
  }));

  useEffect(() => {
    const client = streamClient();
    const offConnection = client.onConnection((connection) => setState((s) => ({ ...s, connection })));
    const off = client.subscribe<TownView>('town', {
      snapshot: (view) => setState({ connection: 'live', overview: view.overview, receivedAt: Date.now() }),
      delta: (_items, view) =>
        setState((s) => ({ ...s, connection: 'live', overview: view?.overview ?? s.overview, receivedAt: Date.now() })),
    });
    if (client.connection !== 'connecting') setState((s) => ({ ...s, connection: client.connection }));
    return () => {
      off();
      offConnection();
    };
  }, []);

  return state;
}
