/**
 * Live updates over socket.io on the same HTTP server as the pages. On connect a client
 * gets a full snapshot (overview + queue history); after that, overview snapshots are
 * pushed at most every `coalesceMs` while the engine is changing, and each new queue
 * sample as it is taken. Coalescing keeps a burst of engine events from flooding
 * browsers: what a client sees is never older than one coalescing window.
 *
 * A rig's page subscribes to that rig (`rig:subscribe`, room `rig:<name>`) and gets its
 * detail (rig, merge queue, Refinery stats) at once, then again, coalesced the same way,
 * whenever something about that rig changed.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { QueueSeries } from '../metrics/queue-series';
import {
  mergeQueueView,
  refineryStatsView,
  townOverview,
  type MergeQueueView,
  type RefineryStatsView,
  type RigView,
  type TownOverview,
} from '../queries/town-view';
import type { Town } from '../engine/town';

export interface RealtimeOptions {
  coalesceMs?: number;
}

export const SOCKET_EVENTS = {
  snapshot: 'town:snapshot',
  overview: 'town:overview',
  queuePoint: 'queue:point',
  rigSubscribe: 'rig:subscribe',
  rigUnsubscribe: 'rig:unsubscribe',
  rigDetail: 'rig:detail',
} as const;

/** One rig as its page shows it; also what `GET /api/rigs/<rig>` answers. */
export interface RigDetail {
  rig: RigView;
  /** The rig's merge queue in landing order. */
  queue: MergeQueueView[];
  stats: RefineryStatsView;
  /** Engine-clock time the detail was taken, ms. */
  now: number;
  /** Engine ms per real ms, so a page can age its numbers between pushes. */
  timeScale: number;
}

export type RigSubscribeAck = { ok: true } | { ok: false; error: string };

/** Rigs one browser may follow at once: a page needs one; this only bounds a misbehaving client. */
const MAX_RIGS_PER_SOCKET = 8;
const ROOM_PREFIX = 'rig:';

export function rigDetail(town: Town, name: string, overview: TownOverview = townOverview(town)): RigDetail | null {
  const rig = overview.rigs.find((r) => r.name === name);
  if (!rig || !town.getRig(name)) return null;
  return {
    rig,
    queue: mergeQueueView(town, name),
    stats: refineryStatsView(town, name),
    now: town.clock.now(),
    timeScale: town.clock.scale,
  };
}

/**
 * Refinery stages move (speculating -> validating) without a domain event of their own,
 * so a followed rig's queue is also compared by this cheap fingerprint on each tick.
 */
function queueFingerprint(town: Town, name: string): string {
  const { pending, inFlight } = town.queueState(name);
  return inFlight.map((i) => `${i.mr.id}:${i.stage}:${i.worker}`).join(',') + '|' + pending.map((mr) => mr.id).join(',');
}

export function attachRealtime(httpServer: HttpServer, town: Town, series: QueueSeries, options: RealtimeOptions = {}) {
  const io = new Server(httpServer, { serveClient: false, cors: { origin: false } });
  const coalesceMs = options.coalesceMs ?? 250;
  const rooms = io.of('/').adapter.rooms;
  /** Last queue fingerprint per followed rig; an entry lives as long as its room. */
  const fingerprints = new Map<string, string>();

  io.of('/').adapter.on('delete-room', (room: string) => {
    if (room.startsWith(ROOM_PREFIX)) fingerprints.delete(room.slice(ROOM_PREFIX.length));
  });

  io.on('connection', (socket) => {
    socket.emit(SOCKET_EVENTS.snapshot, { overview: townOverview(town), queue: series.history() });
    socket.on(SOCKET_EVENTS.rigSubscribe, (name: unknown, ack?: unknown) => {
      try {
        subscribe(socket, name, ack);
      } catch (err) {
        // A client's request must never take the server down; it gets an answer instead.
        console.error('[gastown] rig:subscribe failed', err);
        if (typeof ack === 'function') ack({ ok: false, error: 'rig detail unavailable' } satisfies RigSubscribeAck);
      }
    });
    socket.on(SOCKET_EVENTS.rigUnsubscribe, (name: unknown) => {
      if (typeof name === 'string') void socket.leave(ROOM_PREFIX + name);
    });
  });

  function subscribe(socket: Socket, name: unknown, ack: unknown): void {
    const reply = (result: RigSubscribeAck) => {
      if (typeof ack === 'function') ack(result);
    };
    if (typeof name !== 'string' || name.length === 0 || name.length > 100) {
      return reply({ ok: false, error: 'rig name must be a non-empty string' });
    }
    const detail = rigDetail(town, name);
    if (!detail) return reply({ ok: false, error: `rig '${name}' does not exist` });
    const room = ROOM_PREFIX + name;
    const followed = [...socket.rooms].filter((r) => r.startsWith(ROOM_PREFIX) && r !== room).length;
    if (followed >= MAX_RIGS_PER_SOCKET) {
      return reply({ ok: false, error: `at most ${MAX_RIGS_PER_SOCKET} rigs per connection` });
    }
    // A new room starts from what this subscriber is about to receive, so no duplicate push.
    if (!rooms.has(room)) fingerprints.set(name, queueFingerprint(town, name));
    void socket.join(room);
    reply({ ok: true });
    socket.emit(SOCKET_EVENTS.rigDetail, detail);
  }

  let dirty = false;
  /** Followed rigs an engine event concerned since the last push (bounded by the rooms). */
  const dirtyRigs = new Set<string>();
  const unsubscribe = town.bus.subscribe((event) => {
    dirty = true;
    if ('rig' in event && typeof event.rig === 'string' && rooms.has(ROOM_PREFIX + event.rig)) dirtyRigs.add(event.rig);
  });
  const offPoint = series.onPoint((point) => io.emit(SOCKET_EVENTS.queuePoint, point));

  /** One push per followed rig that changed; `overview` is computed at most once per tick. */
  function pushRigs(overview: () => TownOverview): void {
    for (const room of rooms.keys()) {
      if (!room.startsWith(ROOM_PREFIX)) continue;
      const name = room.slice(ROOM_PREFIX.length);
      if (!town.getRig(name)) continue;
      const fingerprint = queueFingerprint(town, name);
      const changed = fingerprints.get(name) !== fingerprint;
      fingerprints.set(name, fingerprint);
      if (!dirtyRigs.has(name) && !changed) continue;
      const detail = rigDetail(town, name, overview());
      if (detail) io.to(room).emit(SOCKET_EVENTS.rigDetail, detail);
    }
    dirtyRigs.clear();
  }

  // Real time on purpose: this paces network pushes to browsers, not engine behaviour.
  const interval = setInterval(() => {
    if (io.engine.clientsCount === 0) {
      dirtyRigs.clear();
      return;
    }
    let overview: TownOverview | null = null;
    const current = () => (overview ??= townOverview(town));
    pushRigs(current);
    if (!dirty) return;
    dirty = false;
    io.emit(SOCKET_EVENTS.overview, current());
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
