'use client';
/**
 * The browser side of the live streams (contracts/realtime.ts): one socket per tab,
 * shared by every hook on the page, joining topics with a reference count. It keeps each
 * topic's cursors, one per origin (each node of a cluster numbers its own deltas); on a
 * reconnect (to the same node or, behind a load balancer, another) it joins again with them
 * (the server replays what was missed, then sends a fresh snapshot), and when an origin's
 * seq jumps it does the same. Duplicates (a delta already covered by a snapshot or a replay)
 * are dropped.
 */
import { io, type Socket } from 'socket.io-client';
import {
  STREAM_EVENTS,
  STREAM_PROTOCOL,
  type Cursor,
  type JoinAck,
  type StreamDelta,
  type StreamItem,
  type StreamSnapshot,
} from '@/contracts/realtime';

export type Connection = 'connecting' | 'live' | 'reconnecting';

export interface TopicListener<V> {
  snapshot(view: V): void;
  /** New items (possibly replayed) and, when it changed, the refreshed view. */
  delta(items: StreamItem[], view: V | undefined): void;
  /** The server refused the topic (an unknown rig). */
  refused?(error: string): void;
  /** Each (re)join's answer: a fresh snapshot, or a resume that replayed what was missed. */
  joined?(ack: JoinAck): void;
}

interface TopicState {
  /** Per origin epoch, the last seq applied; null until the first snapshot. */
  cursors: Map<string, Cursor> | null;
  listeners: Set<TopicListener<unknown>>;
}

export class StreamClient {
  /** The underlying socket.io client (tests use it to drop the connection). */
  readonly socket: Socket;
  private readonly topics = new Map<string, TopicState>();
  private readonly connectionListeners = new Set<(c: Connection) => void>();
  connection: Connection = 'connecting';

  constructor(url?: string, options: { token?: string } = {}) {
    const opts = {
      transports: ['websocket', 'polling'],
      auth: { stream: STREAM_PROTOCOL, ...(options.token ? { token: options.token } : {}) },
    };
    this.socket = url ? io(url, opts) : io(opts);
    this.socket.on('connect', () => {
      this.setConnection('live');
      for (const name of this.topics.keys()) this.join(name);
    });
    this.socket.on('disconnect', () => this.setConnection('reconnecting'));
    this.socket.on('connect_error', () => this.setConnection('reconnecting'));
    this.socket.on(STREAM_EVENTS.snapshot, (s: StreamSnapshot) => this.onSnapshot(s));
    this.socket.on(STREAM_EVENTS.delta, (d: StreamDelta) => this.onDelta(d));
  }

  private setConnection(c: Connection): void {
    this.connection = c;
    for (const l of this.connectionListeners) l(c);
  }

  onConnection(listener: (c: Connection) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /** Follows a topic; the returned function stops following it (the last listener leaves). */
  subscribe<V>(topic: string, listener: TopicListener<V>): () => void {
    let state = this.topics.get(topic);
    if (!state) {
      state = { cursors: null, listeners: new Set() };
      this.topics.set(topic, state);
      if (this.socket.connected) this.join(topic);
    }
    state.listeners.add(listener as TopicListener<unknown>);
    return () => {
      const s = this.topics.get(topic);
      if (!s) return;
      s.listeners.delete(listener as TopicListener<unknown>);
      if (s.listeners.size === 0) {
        this.topics.delete(topic);
        this.socket.emit(STREAM_EVENTS.leave, topic);
      }
    };
  }

  private join(topic: string): void {
    const cursors = this.topics.get(topic)?.cursors;
    const since = cursors ? [...cursors.values()] : null;
    this.socket.emit(STREAM_EVENTS.join, { topic, since }, (ack: JoinAck) => {
      for (const l of this.topics.get(topic)?.listeners ?? []) {
        l.joined?.(ack);
        if (!ack.ok) l.refused?.(ack.error);
      }
    });
  }

  private onSnapshot(s: StreamSnapshot): void {
    const state = this.topics.get(s.topic);
    if (!state) return;
    const cursors = new Map<string, Cursor>();
    for (const c of s.cursors) {
      // A live delta may have overtaken the snapshot's cursor (it was taken before an async view).
      const seen = state.cursors?.get(c.epoch)?.seq ?? -1;
      cursors.set(c.epoch, { ...c, seq: Math.max(c.seq, seen) });
    }
    state.cursors = cursors;
    for (const l of state.listeners) l.snapshot(s.view);
  }

  private onDelta(d: StreamDelta): void {
    const state = this.topics.get(d.topic);
    if (!state?.cursors) return; // a snapshot is on its way
    const cursor = state.cursors.get(d.epoch);
    if (d.items.length > 0) {
      const at = cursor?.seq ?? 0; // an origin first heard of now must start at 1
      if (d.seq <= at) return; // already covered by a snapshot or a replay
      if (d.seq !== at + 1) {
        // A gap: ask for what was missed (replayed, then a fresh snapshot).
        this.join(d.topic);
        return;
      }
      state.cursors.set(d.epoch, { epoch: d.epoch, node: d.node, seq: d.seq });
    } else if (!cursor || d.seq !== cursor.seq) {
      return; // a view for a seq this client is not at
    }
    for (const l of state.listeners) l.delta(d.items, d.view);
  }

  close(): void {
    this.socket.disconnect();
  }
}

let shared: StreamClient | null = null;

/** The tab's one stream client (created on first use). */
export function streamClient(): StreamClient {
  return (shared ??= new StreamClient());
}
