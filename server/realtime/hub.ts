/**
 * The stream hub: per topic, a sequence number, a bounded replay buffer and the items
 * waiting for the next push; per client, the last seq it was sent and whether it is
 * behind. See contracts/realtime.ts for what clients see.
 *
 * Bursts are coalesced: items wait at most `coalesceMs` (the first item of a quiet period
 * goes out at once), views are recomputed at most every `viewIntervalMs`, and one push per
 * topic goes to its whole room, encoded once. A client whose socket has more than
 * `maxBufferedPackets` waiting (or `maxBufferedBytes` unsent) is skipped rather than
 * queued without bound, and caught up from the replay buffer (or a snapshot) once it has
 * drained. Topics stay alive `idleTtlMs` after their last subscriber left, still
 * numbering and buffering items, so a client that reconnects within that time misses
 * nothing.
 *
 * Real timers on purpose: this paces network pushes, not engine behaviour.
 */
import { randomBytes } from 'node:crypto';
import type { Server, Socket } from 'socket.io';
import {
  STREAM_EVENTS,
  type Cursor,
  type JoinAck,
  type JoinRequest,
  type StreamDelta,
  type StreamItem,
  type StreamSnapshot,
} from '../../contracts/realtime';

/** What a topic is made of; views may be async (a convoy's finished beads come from the store). */
export interface TopicSource {
  /** What a client starts from. */
  snapshot(): unknown | Promise<unknown>;
  /** The refreshed view carried by deltas (default: the snapshot). */
  view?(): unknown | Promise<unknown>;
  /** Called every poll while subscribed: true when the view changed without an item. */
  poll?(): boolean;
  /** Permanent topics (town, alerts) are never dropped. */
  permanent?: boolean;
}

export interface HubOptions {
  io: Server;
  /** The source of a topic, or null when there is no such topic (an unknown rig). */
  resolve(topic: string): TopicSource | null;
  coalesceMs?: number;
  viewIntervalMs?: number;
  pollMs?: number;
  ringEntries?: number;
  ringItems?: number;
  maxBufferedPackets?: number;
  maxBufferedBytes?: number;
  idleTtlMs?: number;
  maxTopicsPerSocket?: number;
  onError?: (err: unknown) => void;
}

interface Entry {
  seq: number;
  items: StreamItem[];
}

interface Topic {
  name: string;
  source: TopicSource;
  seq: number;
  ring: Entry[];
  ringItems: number;
  pending: StreamItem[];
  viewDirty: boolean;
  lastViewAt: number;
  lastSubscribedAt: number;
  /** Set while a (possibly async) push of this topic is under way. */
  busy: boolean;
}

interface ClientState {
  cursors: Map<string, number>;
  behind: Set<string>;
}

const ROOM = (topic: string) => `t:${topic}`;

/** Packets engine.io holds for a socket, and bytes its websocket has not yet written. */
function buffered(socket: Socket): { packets: number; bytes: number } {
  const conn = socket.conn as unknown as { writeBuffer?: unknown[]; transport?: { socket?: { bufferedAmount?: number } } };
  return { packets: conn.writeBuffer?.length ?? 0, bytes: conn.transport?.socket?.bufferedAmount ?? 0 };
}

export class StreamHub {
  readonly epoch = randomBytes(6).toString('hex');
  private readonly topics = new Map<string, Topic>();
  private timer: NodeJS.Timeout | null = null;
  private readonly poller: NodeJS.Timeout;
  private lastFlush = 0;
  private flushing = false;
  private closed = false;
  private readonly o: Required<Omit<HubOptions, 'io' | 'resolve'>>;

  constructor(private readonly options: HubOptions) {
    this.o = {
      coalesceMs: options.coalesceMs ?? 100,
      viewIntervalMs: options.viewIntervalMs ?? 250,
      pollMs: options.pollMs ?? 500,
      ringEntries: options.ringEntries ?? 512,
      ringItems: options.ringItems ?? 20_000,
      maxBufferedPackets: options.maxBufferedPackets ?? 64,
      maxBufferedBytes: options.maxBufferedBytes ?? 4 * 1024 * 1024,
      idleTtlMs: options.idleTtlMs ?? 5 * 60_000,
      maxTopicsPerSocket: options.maxTopicsPerSocket ?? 16,
      onError: options.onError ?? ((err) => console.error('[gastown] stream hub', err)),
    };
    this.poller = setInterval(() => this.poll(), this.o.pollMs);
  }

  /** Tracks a topic (if its source exists); permanent topics are tracked from the start. */
  ensure(name: string): boolean {
    if (this.topics.has(name)) return true;
    const source = this.options.resolve(name);
    if (!source) return false;
    this.topics.set(name, {
      name,
      source,
      seq: 0,
      ring: [],
      ringItems: 0,
      pending: [],
      viewDirty: false,
      lastViewAt: 0,
      lastSubscribedAt: Date.now(),
      busy: false,
    });
    return true;
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  /** Adds an item to a tracked topic (untracked topics have nobody to tell). */
  push(name: string, item: StreamItem): void {
    const t = this.topics.get(name);
    if (!t) return;
    t.pending.push(item);
    t.viewDirty = true;
    this.schedule();
  }

  /** The topic's view changed without an item (a Refinery stage moved). */
  markViewDirty(name: string): void {
    const t = this.topics.get(name);
    if (!t || t.viewDirty) return;
    t.viewDirty = true;
    this.schedule();
  }

  private state(socket: Socket): ClientState {
    const data = socket.data as { stream?: ClientState };
    return (data.stream ??= { cursors: new Map(), behind: new Set() });
  }

  private subscribers(name: string): number {
    return this.options.io.of('/').adapter.rooms.get(ROOM(name))?.size ?? 0;
  }

  /** A client joins a topic: a snapshot, or a replay of what it missed and then a snapshot. */
  async join(socket: Socket, request: JoinRequest): Promise<JoinAck> {
    const name = request?.topic;
    if (typeof name !== 'string' || name.length === 0 || name.length > 120) return { ok: false, error: 'topic must be a string' };
    const state = this.state(socket);
    if (!state.cursors.has(name) && state.cursors.size >= this.o.maxTopicsPerSocket) {
      return { ok: false, error: `at most ${this.o.maxTopicsPerSocket} topics per connection` };
    }
    if (!this.ensure(name)) return { ok: false, error: `no such topic '${name}'` };
    const t = this.topics.get(name)!;
    t.lastSubscribedAt = Date.now();
    await socket.join(ROOM(name));
    state.behind.delete(name);
    const replayed = await this.catchUp(socket, t, this.resumable(t, request.since));
    return { ok: true, mode: replayed === null ? 'snapshot' : 'resume', replayed: replayed ?? 0 };
  }

  leave(socket: Socket, name: string): void {
    void socket.leave(ROOM(name));
    const state = this.state(socket);
    state.cursors.delete(name);
    state.behind.delete(name);
    const t = this.topics.get(name);
    if (t) t.lastSubscribedAt = Date.now();
  }

  /** The seq to replay from, when the ring still holds everything after it. */
  private resumable(t: Topic, since: Cursor | null | undefined): number | null {
    if (!since || since.epoch !== this.epoch || !Number.isInteger(since.seq) || since.seq > t.seq) return null;
    const oldest = t.ring[0]?.seq ?? t.seq + 1;
    return since.seq >= oldest - 1 ? since.seq : null;
  }

  /** Replays entries after `from` (when given) then sends a snapshot; the cursor becomes the topic's seq. */
  private async catchUp(socket: Socket, t: Topic, from: number | null): Promise<number | null> {
    let replayed: number | null = null;
    if (from !== null) {
      replayed = 0;
      for (const e of t.ring) {
        if (e.seq <= from) continue;
        const delta: StreamDelta = { topic: t.name, epoch: this.epoch, seq: e.seq, items: e.items, replay: true };
        socket.emit(STREAM_EVENTS.delta, delta);
        replayed++;
      }
    }
    const seq = t.seq;
    const view = await t.source.snapshot();
    // Items pushed while an async snapshot was built arrive in the next delta (seq + 1).
    const snapshot: StreamSnapshot = { topic: t.name, epoch: this.epoch, seq, view };
    socket.emit(STREAM_EVENTS.snapshot, snapshot);
    this.state(socket).cursors.set(t.name, seq);
    return replayed;
  }

  private schedule(delayMs?: number): void {
    if (this.timer || this.closed) return;
    const wait = delayMs ?? Math.max(0, this.lastFlush + this.o.coalesceMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().catch(this.o.onError);
    }, wait);
  }

  /** Pushes every topic with new items, or a view that is due. */
  async flush(): Promise<void> {
    if (this.flushing) return this.schedule(this.o.coalesceMs);
    this.flushing = true;
    this.lastFlush = Date.now();
    let nextViewDue: number | null = null;
    try {
      for (const t of this.topics.values()) {
        const due = await this.flushTopic(t);
        if (due !== null) nextViewDue = nextViewDue === null ? due : Math.min(nextViewDue, due);
      }
    } finally {
      this.flushing = false;
    }
    if (nextViewDue !== null) this.schedule(Math.max(0, nextViewDue - Date.now()));
  }

  /** Returns when this topic's view will be due, if it is waiting for that. */
  private async flushTopic(t: Topic): Promise<number | null> {
    const now = Date.now();
    const subscribers = this.subscribers(t.name);
    let delta: StreamDelta | null = null;
    if (t.pending.length > 0) {
      delta = { topic: t.name, epoch: this.epoch, seq: ++t.seq, items: t.pending };
      t.pending = [];
      this.remember(t, { seq: delta.seq, items: delta.items });
    }
    if (subscribers === 0) {
      t.viewDirty = false;
      if (!t.source.permanent && now - t.lastSubscribedAt > this.o.idleTtlMs) this.topics.delete(t.name);
      return null;
    }
    if (t.viewDirty) {
      const due = t.lastViewAt + this.o.viewIntervalMs;
      if (now >= due) {
        t.viewDirty = false;
        t.lastViewAt = now;
        const view = await (t.source.view ?? t.source.snapshot).call(t.source);
        delta ??= { topic: t.name, epoch: this.epoch, seq: t.seq, items: [] };
        delta.view = view;
      } else if (!delta) {
        return due;
      }
    }
    if (delta) await this.deliver(t, delta);
    return t.viewDirty ? t.lastViewAt + this.o.viewIntervalMs : null;
  }

  private remember(t: Topic, entry: Entry): void {
    t.ring.push(entry);
    t.ringItems += entry.items.length;
    while (t.ring.length > this.o.ringEntries || (t.ringItems > this.o.ringItems && t.ring.length > 1)) {
      t.ringItems -= t.ring.shift()!.items.length;
    }
  }

  /** One broadcast to the room, except clients that are behind (caught up instead once drained). */
  private async deliver(t: Topic, delta: StreamDelta): Promise<void> {
    const io = this.options.io;
    const members = io.of('/').adapter.rooms.get(ROOM(t.name));
    if (!members || members.size === 0) return;
    const skip = new Set<string>();
    const catchUps: Socket[] = [];
    for (const id of members) {
      const socket = io.of('/').sockets.get(id);
      if (!socket) continue;
      const state = this.state(socket);
      const { packets, bytes } = buffered(socket);
      const full = packets > this.o.maxBufferedPackets || bytes > this.o.maxBufferedBytes;
      if (state.behind.has(t.name)) {
        skip.add(id);
        if (packets <= this.o.maxBufferedPackets / 4 && bytes <= this.o.maxBufferedBytes / 4) catchUps.push(socket);
      } else if (full) {
        state.behind.add(t.name);
        skip.add(id);
      }
    }
    if (skip.size < members.size) {
      const target = skip.size > 0 ? io.to(ROOM(t.name)).except([...skip]) : io.to(ROOM(t.name));
      target.emit(STREAM_EVENTS.delta, delta);
      for (const id of members) {
        if (skip.has(id)) continue;
        const socket = io.of('/').sockets.get(id);
        if (socket) this.state(socket).cursors.set(t.name, t.seq);
      }
    }
    for (const socket of catchUps) {
      const state = this.state(socket);
      state.behind.delete(t.name);
      const from = this.resumable(t, { epoch: this.epoch, seq: state.cursors.get(t.name) ?? -1 });
      await this.catchUp(socket, t, from);
    }
  }

  private poll(): void {
    for (const t of this.topics.values()) {
      if (!t.source.poll || this.subscribers(t.name) === 0) continue;
      try {
        if (t.source.poll()) this.markViewDirty(t.name);
      } catch (err) {
        this.o.onError(err);
      }
    }
  }

  /** Topics tracked and items buffered, for /metrics and the benchmark. */
  stats(): { topics: number; bufferedItems: number; behindClients: number } {
    let bufferedItems = 0;
    for (const t of this.topics.values()) bufferedItems += t.ringItems + t.pending.length;
    let behindClients = 0;
    for (const socket of this.options.io.of('/').sockets.values()) if (this.state(socket).behind.size > 0) behindClients++;
    return { topics: this.topics.size, bufferedItems, behindClients };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poller);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
