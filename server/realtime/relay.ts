/**
 * The relay between nodes' stream hubs (server/realtime/hub.ts): each hub hands it the
 * pushes of its own origin, and it brings the other nodes' pushes to every hub.
 *
 * Over socket.io's Redis Streams adapter (server/realtime/redis-link.ts): an entry is a
 * broadcast to a room no socket joins, so it travels in the adapter's Redis stream, in
 * publish order, and a node whose Redis connection dropped reads on from its last stream
 * offset (nothing lost on the reading side). The adapter delivers broadcasts straight to
 * sockets; the hubs need to see them (to buffer per origin and to pace slow clients), so the
 * relay reads the relay room's broadcasts off the adapter's message hook, `onMessage`, the
 * method every cluster adapter of socket.io-adapter routes inter-node messages through.
 *
 * What the stream cannot cover is a publish that was on the wire when the connection
 * dropped (the adapter logs and forgets it): `onResume` tells the hub when the link is back
 * and since when it was down, and the hub publishes that window again (receivers drop
 * what they already have, by seq).
 */
import type { Server } from 'socket.io';
import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import type { StreamItem } from '../../contracts/realtime';

/** One numbered push of one origin (contracts/realtime.ts StreamDelta, without a view). */
export interface RelayEntry {
  topic: string;
  epoch: string;
  node: string;
  seq: number;
  items: StreamItem[];
}

export interface StreamRelay {
  /** Whether a publish now would reach Redis (otherwise the hub keeps it for the resend). */
  connected(): boolean;
  publish(entry: RelayEntry): void;
  onEntry(listener: (entry: RelayEntry) => void): void;
  /** Each time the link is back after being down: the wall ms it went down. */
  onResume(listener: (downSince: number) => void): void;
}

/** What a link to the shared pub/sub tells the relay. */
export interface RelayLink {
  ready(): boolean;
  onReady(listener: (downSince: number | null) => void): void;
}

const RELAY_ROOM = 'gt:relay';
const RELAY_EVENT = 'gt:relay';
/**
 * Entries published up to this long before the drop was noticed may have been on the wire
 * (a dead connection is noticed by the client's ping, every 5 s). Resending more costs only
 * duplicates, which receivers drop by seq.
 */
const IN_FLIGHT_MARGIN_MS = 10_000;

function isEntry(value: unknown): value is RelayEntry {
  const e = value as Partial<RelayEntry> | null;
  return (
    !!e &&
    typeof e.topic === 'string' &&
    typeof e.epoch === 'string' &&
    typeof e.node === 'string' &&
    Number.isInteger(e.seq) &&
    Array.isArray(e.items)
  );
}

/** Hooks the relay onto the namespace's cluster adapter; call after `io` got its adapter. */
export function adapterRelay(io: Server, link: RelayLink, onError: (err: unknown) => void): StreamRelay {
  const adapter = io.of('/').adapter as unknown as {
    uid?: string;
    onMessage?: (message: ClusterMessage, offset?: string) => void;
  };
  const forward = adapter.onMessage?.bind(adapter);
  if (!forward) throw new Error('the socket.io adapter is not a cluster adapter');
  const entryListeners: Array<(e: RelayEntry) => void> = [];
  const resumeListeners: Array<(since: number) => void> = [];
  adapter.onMessage = (message, offset) => {
    if (
      message.type === MessageType.BROADCAST &&
      message.uid !== adapter.uid &&
      (message.data.opts as { rooms?: string[] }).rooms?.includes(RELAY_ROOM)
    ) {
      const [event, entry] = (message.data.packet as { data?: unknown[] }).data ?? [];
      if (event === RELAY_EVENT && isEntry(entry)) {
        for (const l of entryListeners) {
          try {
            l(entry);
          } catch (err) {
            onError(err);
          }
        }
      }
      return;
    }
    forward(message, offset);
  };
  link.onReady((downSince) => {
    if (downSince === null) return;
    for (const l of resumeListeners) l(downSince - IN_FLIGHT_MARGIN_MS);
  });
  return {
    connected: () => link.ready(),
    publish: (entry) => void io.to(RELAY_ROOM).emit(RELAY_EVENT, entry),
    onEntry: (listener) => void entryListeners.push(listener),
    onResume: (listener) => void resumeListeners.push(listener),
  };
}
