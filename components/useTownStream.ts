'use client';
/**
 * The town as a live stream (topic `town`): a snapshot on join, then overview updates and
 * queue samples, resumed without a gap after a reconnect (lib/stream-client.ts).
 * Connection state is part of the result so pages can say "reconnecting" instead of
 * showing a stale view as if it were live.
 */
import { useEffect, useState } from 'react';
import type { QueuePoint } from '@/server/metrics/queue-series';
import type { TownOverview } from '@/server/queries/town-view';
import type { TownView } from '@/server/realtime/topics';
import { streamClient, type Connection } from '@/lib/stream-client';

export type { Connection } from '@/lib/stream-client';

export interface TownStream {
  connection: Connection;
  overview: TownOverview | null;
  queue: QueuePoint[];
  /** Browser time of the last message, to show the data's age. */
  receivedAt: number | null;
}

/** Points kept for the chart: a bounded window, like the server's ring buffer. */
const MAX_POINTS = 600;

export function useTownStream(): TownStream {
  const [state, setState] = useState<TownStream>({ connection: 'connecting', overview: null, queue: [], receivedAt: null });

  useEffect(() => {
    const client = streamClient();
    const offConnection = client.onConnection((connection) => setState((s) => ({ ...s, connection })));
    const off = client.subscribe<TownView>('town', {
      snapshot: (view) =>
        setState({
          connection: 'live',
          overview: view.overview,
          queue: (view.queue ?? []).slice(-MAX_POINTS),
          receivedAt: Date.now(),
        }),
      delta: (items, view) =>
        setState((s) => {
          const points = items.flatMap((i) => (i.kind === 'queue' ? [i.point] : []));
          return {
            ...s,
            connection: 'live',
            overview: view?.overview ?? s.overview,
            queue: points.length > 0 ? [...s.queue, ...points].slice(-MAX_POINTS) : s.queue,
            receivedAt: Date.now(),
          };
        }),
    });
    if (client.connection !== 'connecting') setState((s) => ({ ...s, connection: client.connection }));
    return () => {
      off();
      offConnection();
    };
  }, []);

  return state;
}
