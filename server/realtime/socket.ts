/**
 * Live updates over socket.io on the same HTTP server as the pages. On connect a client
 * gets a full snapshot (overview + queue history); after that, overview snapshots are
 * pushed at most every `coalesceMs` while the engine is changing, and each new queue
 * sample as it is taken. Coalescing keeps a burst of engine events from flooding
 * browsers: what a client sees is never older than one coalescing window.
 */
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { QueueSeries } from '../metrics/queue-series';
import { townOverview } from '../queries/town-view';
import type { Town } from '../engine/town';

export interface RealtimeOptions {
  coalesceMs?: number;
}

export const SOCKET_EVENTS = {
  snapshot: 'town:snapshot',
  overview: 'town:overview',
  queuePoint: 'queue:point',
} as const;

export function attachRealtime(httpServer: HttpServer, town: Town, series: QueueSeries, options: RealtimeOptions = {}) {
  const io = new Server(httpServer, { serveClient: false, cors: { origin: false } });
  const coalesceMs = options.coalesceMs ?? 250;

  io.on('connection', (socket) => {
    socket.emit(SOCKET_EVENTS.snapshot, { overview: townOverview(town), queue: series.history() });
  });

  let dirty = false;
  const unsubscribe = town.bus.subscribe(() => {
    dirty = true;
  });
  const offPoint = series.onPoint((point) => io.emit(SOCKET_EVENTS.queuePoint, point));
  // Real time on purpose: this paces network pushes to browsers, not engine behaviour.
  const interval = setInterval(() => {
    if (!dirty || io.engine.clientsCount === 0) return;
    dirty = false;
    io.emit(SOCKET_EVENTS.overview, townOverview(town));
  }, coalesceMs);

  return {
    io,
    async close(): Promise<void> {
      clearInterval(interval);
      unsubscribe();
      offPoint();
      await io.close();
    },
  };
}
