'use client';
/**
 * The town as a live stream: a snapshot on connect, then overview updates and queue
 * samples. Connection state is part of the result so pages can say "reconnecting"
 * instead of showing a stale view as if it were live.
 */
import { useEffect, useState } from 'react';
import { io } from 'socket.io-client';
import type { QueuePoint } from '@/server/metrics/queue-series';
import type { TownOverview } from '@/server/queries/town-view';

export type Connection = 'connecting' | 'live' | 'reconnecting';

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
    const socket = io({ transports: ['websocket', 'polling'] });
    socket.on('connect', () => setState((s) => ({ ...s, connection: 'live' })));
    socket.on('disconnect', () => setState((s) => ({ ...s, connection: 'reconnecting' })));
    socket.on('town:snapshot', (snap: { overview: TownOverview; queue: QueuePoint[] }) =>
      setState({ connection: 'live', overview: snap.overview, queue: snap.queue.slice(-MAX_POINTS), receivedAt: Date.now() }),
    );
    socket.on('town:overview', (overview: TownOverview) => setState((s) => ({ ...s, overview, receivedAt: Date.now() })));
    socket.on('queue:point', (point: QueuePoint) =>
      setState((s) => ({ ...s, queue: [...s.queue.slice(-(MAX_POINTS - 1)), point], receivedAt: Date.now() })),
    );
    return () => {
      socket.disconnect();
    };
  }, []);

  return state;
}
