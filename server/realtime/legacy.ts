/**
 * The first socket protocol, kept for pages and scripts written against it: on connect a
 * `town:snapshot` ({ overview, queue }), then `town:overview` and `queue:point` pushes;
 * `rig:subscribe` (ack `{ ok, error? }`) then `rig:detail` pushes. It rides on the hub's
 * topics (the same coalescing), so it costs one extra emit per view, not a second engine
 * listener. Clients that speak the stream protocol (handshake `auth.stream = 2`) skip it.
 */
import type { Server, Socket } from 'socket.io';
import type { QueueSeries } from '../metrics/queue-series';
import type { StreamHub } from './hub';
import { STREAM_PROTOCOL } from './protocol';
import { SOCKET_EVENTS, type RigDetail, type RigSubscribeAck } from './protocol';
import type { OverviewMemo, TownView } from './topics';
import { rigDetailFrom } from './topics';
import type { Town } from '../engine/town';

/** Rigs one browser may follow at once: a page needs one; this only bounds a misbehaving client. */
const MAX_RIGS_PER_SOCKET = 8;
const TOWN_ROOM = 'legacy:town';
const RIG_ROOM = 'legacy:rig:';

export function speaksStreams(socket: Socket): boolean {
  return (socket.handshake.auth as { stream?: unknown } | undefined)?.stream === STREAM_PROTOCOL;
}

export function attachLegacy(
  io: Server,
  hub: StreamHub,
  deps: { town: Town; series: QueueSeries; memo: OverviewMemo },
): () => void {
  const rooms = io.of('/').adapter.rooms;
  hub.countSubscribersWith((topic) => {
    if (topic === 'town') return rooms.get(TOWN_ROOM)?.size ?? 0;
    if (topic.startsWith('rig:')) return rooms.get(RIG_ROOM + topic.slice(4))?.size ?? 0;
    return 0;
  });
  const offView = hub.onView((topic, view) => {
    if (topic === 'town') io.to(TOWN_ROOM).emit(SOCKET_EVENTS.overview, (view as TownView).overview);
    else if (topic.startsWith('rig:') && view) io.to(RIG_ROOM + topic.slice(4)).emit(SOCKET_EVENTS.rigDetail, view as RigDetail);
  });
  const offPoint = deps.series.onPoint((point) => io.to(TOWN_ROOM).emit(SOCKET_EVENTS.queuePoint, point));

  io.on('connection', (socket) => {
    if (speaksStreams(socket)) return;
    void socket.join(TOWN_ROOM);
    socket.emit(SOCKET_EVENTS.snapshot, { overview: deps.memo.get(), queue: deps.series.history() });
    socket.on(SOCKET_EVENTS.rigSubscribe, (name: unknown, ack?: unknown) => {
      const reply = (result: RigSubscribeAck) => {
        if (typeof ack === 'function') ack(result);
      };
      try {
        if (typeof name !== 'string' || name.length === 0 || name.length > 100) {
          return reply({ ok: false, error: 'rig name must be a non-empty string' });
        }
        const detail = rigDetailFrom(deps.town, name, deps.memo.get());
        if (!detail || !hub.ensure(`rig:${name}`)) return reply({ ok: false, error: `rig '${name}' does not exist` });
        const followed = [...socket.rooms].filter((r) => r.startsWith(RIG_ROOM) && r !== RIG_ROOM + name).length;
        if (followed >= MAX_RIGS_PER_SOCKET)
          return reply({ ok: false, error: `at most ${MAX_RIGS_PER_SOCKET} rigs per connection` });
        void socket.join(RIG_ROOM + name);
        reply({ ok: true });
        socket.emit(SOCKET_EVENTS.rigDetail, detail);
      } catch (err) {
        // A client's request must never take the server down; it gets an answer instead.
        console.error('[gastown] rig:subscribe failed', err);
        reply({ ok: false, error: 'rig detail unavailable' });
      }
    });
    socket.on(SOCKET_EVENTS.rigUnsubscribe, (name: unknown) => {
      if (typeof name === 'string') void socket.leave(RIG_ROOM + name);
    });
  });

  return () => {
    offView();
    offPoint();
  };
}
