/**
 * The stream hub: per topic and origin, a sequence number and a bounded replay buffer; per
 * topic, the items waiting for the next push; per client, the last seq it was sent of each
 * origin and whether it is behind. See contracts/realtime.ts for what clients see.
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
 * In a cluster (a `relay`, server/realtime/relay.ts) every numbered push of this node's own
 * origin is also handed to the relay, and pushes relayed from other nodes' origins come in
 * through `receive`: they are buffered per origin like local ones (so a client that moves to
 * this node resumes from its cursors) and delivered to this node's clients only; each node
 * delivers to its own sockets, so slow clients are skipped by the node that holds them.
 * Relayed pushes that arrive out of order (a resend after a Redis reconnect) are held up to
 * `reorderMs` for the missing ones; past that the gap is accepted and visible to clients as a
 * seq jump, never silent.
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
import type { RelayEntry, StreamRelay } from './relay';

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
  /** Why a client may not join after all (a rig no node runs): checked at each join; null lets it in. */
  admit?(): Promise<string | null>;
  /** Another node's event of this topic came in while someone here watches it (its view may have moved there). */
  stale?(): void;
  /** The topic is dropped: stop what it started. */
  close?(): void;
}

export interface HubOptions {
  io: Server;
  /** The source of a topic, or null when there is no such topic (an unknown rig). */
  resolve(topic: string): TopicSource | null;
  /** This node's name (GT_NODE), carried by its deltas. */
  node?: string;
  /** Shares this node's pushes with the other nodes and brings theirs (a cluster); none on one server. */
  relay?: StreamRelay | null;
  coalesceMs?: number;
  viewIntervalMs?: number;
  pollMs?: number;
  ringEntries?: number;
  ringItems?: number;
  maxBufferedPackets?: number;
  maxBufferedBytes?: number;
  idleTtlMs?: number;
  maxTopicsPerSocket?: number;
  reorderMs?: number;
  onError?: (err: unknown) => void;
}

interface Entry {
  seq: number;
  items: StreamItem[];
  /** Wall-clock ms it was numbered (a resend after a relay outage picks entries by it). */
  at: number;
}

/** One origin's deltas of one topic, as far as this node knows them. */
interface Origin {
  epoch: string;
  node: string;
  seq: number;
  ring: Entry[];
  ringItems: number;
  /** Relayed entries that came ahead of a missing one, by seq (remote origins only). */
  held: Map<number, Entry>;
  heldTimer: NodeJS.Timeout | null;
  lastAt: number;
}

interface Topic {
  name: string;
  source: TopicSource;
  /** This node's origin for the topic: the hub's epoch, or a later generation's (see retire). */
  epoch: string;
  /** This node's origin first, then the others it has heard from. */
  origins: Map<string, Origin>;
  pending: StreamItem[];
  viewDirty: boolean;
  lastViewAt: number;
  lastSubscribedAt: number;
}

interface ClientState {
  /** Per topic, the last seq sent per origin epoch. */
  cursors: Map<string, Map<string, number>>;
  behind: Set<string>;
}

const ROOM = (topic: string) => `t:${topic}`;
/** Dropped topics whose numbering is remembered (clients and other nodes hold their old seqs); bounded. */
const RETIRED_LIMIT = 10_000;

/** Packets engine.io holds for a socket, and bytes its websocket has not yet written. */
function buffered(socket: Socket): { packets: number; bytes: number } {
  const conn = socket.conn as unknown as { writeBuffer?: unknown[]; transport?: { socket?: { bufferedAmount?: number } } };
  return { packets: conn.writeBuffer?.length ?? 0, bytes: conn.transport?.socket?.bufferedAmount ?? 0 };
}

export class StreamHub {
  readonly epoch = randomBytes(6).toString('hex');
  readonly node: string;
  private readonly topics = new Map<string, Topic>();
  /** Where dropped topics' numbering stood, so a topic that comes back continues it. */
  private readonly retired = new Map<string, { epoch: string; seq: number }>();
  /** Bumped when a retired record is forgotten: topics made after that start a new origin. */
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly poller: NodeJS.Timeout;
  private lastFlush = 0;
  private flushing = false;
  private closed = false;
  private relayed = { received: 0, duplicates: 0, gaps: 0 };
  private readonly o: Required<Omit<HubOptions, 'io' | 'resolve' | 'node' | 'relay'>>;

  constructor(private readonly options: HubOptions) {
    this.node = options.node ?? 'local';
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
      // Long enough for a resend after a Redis reconnect (the relay resends at once on 'ready').
      reorderMs: options.reorderMs ?? 3_000,
      onError: options.onError ?? ((err) => console.error('[gastown] stream hub', err)),
    };
    this.poller = setInterval(() => this.poll(), this.o.pollMs);
    options.relay?.onEntry((entry) => this.receive(entry));
    options.relay?.onResume((since) => this.resend(since));
  }

  private get relay(): StreamRelay | null {
    return this.options.relay ?? null;
  }

  /** Tracks a topic (if its source exists); permanent topics are tracked from the start. */
  ensure(name: string): boolean {
    if (this.topics.has(name)) return true;
    const source = this.options.resolve(name);
    if (!source) return false;
    // A topic whose record was forgotten may have numbered before: a new origin, never a reused seq.
    const before = this.retired.get(name) ?? {
      epoch: this.generation === 0 ? this.epoch : `${this.epoch}-g${this.generation}`,
      seq: 0,
    };
    const local = this.newOrigin(before.epoch, this.node, before.seq);
    this.retired.delete(name);
    this.topics.set(name, {
      name,
      source,
      epoch: before.epoch,
      origins: new Map([[before.epoch, local]]),
      pending: [],
      viewDirty: false,
      lastViewAt: 0,
      lastSubscribedAt: Date.now(),
    });
    return true;
  }

  private newOrigin(epoch: string, node: string, seq: number): Origin {
    return { epoch, node, seq, ring: [], ringItems: 0, held: new Map(), heldTimer: null, lastAt: Date.now() };
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  /** Whether an item for this topic would reach anyone: a tracked topic, or any topic when other nodes listen. */
  wants(name: string): boolean {
    return this.topics.has(name) || this.relay !== null;
  }

  /** Adds an item to a topic: a tracked one, or (in a cluster) one this node can resolve, for the other nodes. */
  push(name: string, item: StreamItem): void {
    if (!this.topics.has(name) && !(this.relay && this.ensure(name))) return;
    const t = this.topics.get(name)!;
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

  private local(t: Topic): Origin {
    return t.origins.get(t.epoch)!;
  }

  /** A client joins a topic: a snapshot, or a replay of what it missed and then a snapshot. */
  async join(socket: Socket, request: JoinRequest): Promise<JoinAck> {
    const name = request?.topic;
    if (typeof name !== 'string' || name.length === 0 || name.length > 120) return { ok: false, error: 'topic must be a string' };
    const state = this.state(socket);
    if (!state.cursors.has(name) && state.cursors.size >= this.o.maxTopicsPerSocket) {
      return { ok: false, error: `at most ${this.o.maxTopicsPerSocket} topics per connection` };
    }
    const known = this.topics.has(name);
    if (!this.ensure(name)) return { ok: false, error: `no such topic '${name}'` };
    const t = this.topics.get(name)!;
    const refused = t.source.admit ? await t.source.admit() : null;
    if (refused !== null) {
      // Made for this join only (nothing numbered yet): not kept, so made-up names cost nothing.
      if (!known && this.subscribers(name) === 0 && t.origins.size === 1 && this.local(t).seq === 0) this.forget(t);
      return { ok: false, error: refused };
    }
    t.lastSubscribedAt = Date.now();
    await socket.join(ROOM(name));
    state.behind.delete(name);
    const plan = request.since ? this.resumePlan(t, request.since) : null;
    const replayed = await this.catchUp(socket, t, plan);
    const missed = plan?.missed ?? [];
    return { ok: true, mode: plan && missed.length === 0 ? 'resume' : 'snapshot', replayed, node: this.node, missed };
  }

  leave(socket: Socket, name: string): void {
    void socket.leave(ROOM(name));
    const state = this.state(socket);
    state.cursors.delete(name);
    state.behind.delete(name);
    const t = this.topics.get(name);
    if (t) t.lastSubscribedAt = Date.now();
  }

  /**
   * Per origin, the seq to replay after; and the nodes whose deltas after the client's
   * cursor are not all here (an origin this node never heard of, or one whose buffer has
   * moved past the cursor). An origin the client has no cursor for is one it never heard
   * from: everything it said is replayed when the buffer still holds it from the start.
   */
  private resumePlan(t: Topic, since: Cursor[]): { from: Map<string, number>; missed: string[] } {
    const given = new Map(since.map((c) => [c.epoch, c] as const));
    const from = new Map<string, number>();
    const missed = new Set<string>();
    for (const o of t.origins.values()) {
      const seq = given.get(o.epoch)?.seq ?? 0;
      const oldest = o.ring[0]?.seq ?? o.seq + 1;
      // A client ahead of this node in another origin (it came from a node that had read
      // further in Redis) misses nothing: the rest reaches this node in order, and the client
      // drops what it has. Ahead in this node's own origin cannot be: that cursor is refused.
      const ahead = seq > o.seq && o.epoch !== t.epoch;
      if ((seq <= o.seq || ahead) && seq >= oldest - 1) from.set(o.epoch, seq);
      else missed.add(o.node);
    }
    // An origin this node never heard of is missed, unless the client has nothing of it either
    // (seq 0: a node that watches another's rig numbers nothing of its own for it).
    for (const c of since) if (!t.origins.has(c.epoch) && c.seq > 0) missed.add(c.node ?? c.epoch);
    return { from, missed: [...missed] };
  }

  private cursorsOf(t: Topic): Cursor[] {
    return [...t.origins.values()].map((o) => ({ epoch: o.epoch, seq: o.seq, node: o.node }));
  }

  private delta(t: Topic, o: Origin, e: Entry): StreamDelta {
    return { topic: t.name, epoch: o.epoch, node: o.node, seq: e.seq, items: e.items };
  }

  /** Replays entries after the plan's cursors (when given) then sends a snapshot; the client's cursors become the topic's. */
  private async catchUp(socket: Socket, t: Topic, plan: { from: Map<string, number> } | null): Promise<number> {
    let replayed = 0;
    for (const [epoch, after] of plan?.from ?? []) {
      const o = t.origins.get(epoch)!;
      for (const e of o.ring) {
        if (e.seq <= after) continue;
        socket.emit(STREAM_EVENTS.delta, { ...this.delta(t, o, e), replay: true } satisfies StreamDelta);
        replayed++;
      }
    }
    const cursors = this.cursorsOf(t);
    const view = await t.source.snapshot();
    // Items pushed while an async snapshot was built arrive in the next delta (seq + 1).
    const snapshot: StreamSnapshot = { topic: t.name, node: this.node, epoch: this.epoch, cursors, view };
    socket.emit(STREAM_EVENTS.snapshot, snapshot);
    this.state(socket).cursors.set(t.name, new Map(cursors.map((c) => [c.epoch, c.seq])));
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
    const local = this.local(t);
    let delta: StreamDelta | null = null;
    if (t.pending.length > 0) {
      const entry: Entry = { seq: ++local.seq, items: t.pending, at: now };
      t.pending = [];
      this.remember(local, entry);
      delta = this.delta(t, local, entry);
      this.publish(t, entry);
    }
    if (subscribers === 0) {
      t.viewDirty = false;
      if (!t.source.permanent && now - t.lastSubscribedAt > this.o.idleTtlMs) this.retire(t);
      return null;
    }
    if (t.viewDirty) {
      const due = t.lastViewAt + this.o.viewIntervalMs;
      if (now >= due) {
        t.viewDirty = false;
        t.lastViewAt = now;
        const view = await (t.source.view ?? t.source.snapshot).call(t.source);
        delta ??= { topic: t.name, epoch: t.epoch, node: this.node, seq: local.seq, items: [] };
        delta.view = view;
      } else if (!delta) {
        return due;
      }
    }
    if (delta) await this.deliver(t, delta);
    return t.viewDirty ? t.lastViewAt + this.o.viewIntervalMs : null;
  }

  /** Drops a topic and what it holds (its numbering is kept by `retire`). */
  private forget(t: Topic): void {
    for (const o of t.origins.values()) if (o.heldTimer) clearTimeout(o.heldTimer);
    t.source.close?.();
    if (this.topics.get(t.name) === t) this.topics.delete(t.name);
  }

  private retire(t: Topic): void {
    this.forget(t);
    this.retired.set(t.name, { epoch: t.epoch, seq: this.local(t).seq });
    if (this.retired.size > RETIRED_LIMIT) {
      this.retired.delete(this.retired.keys().next().value!);
      this.generation++;
    }
  }

  private publish(t: Topic, entry: Entry): void {
    if (!this.relay?.connected()) return; // resent from the buffer when the relay is back (resend)
    this.relay.publish({ topic: t.name, epoch: t.epoch, node: this.node, seq: entry.seq, items: entry.items });
  }

  /** After a relay outage: this node's entries numbered since `since` (wall ms) again; the others drop what they have. */
  resend(since: number): void {
    for (const t of this.topics.values()) for (const e of this.local(t).ring) if (e.at >= since) this.publish(t, e);
  }

  private remember(o: Origin, entry: Entry): void {
    o.ring.push(entry);
    o.ringItems += entry.items.length;
    o.lastAt = entry.at;
    while (o.ring.length > this.o.ringEntries || (o.ringItems > this.o.ringItems && o.ring.length > 1)) {
      o.ringItems -= o.ring.shift()!.items.length;
    }
  }

  /** A push relayed from another node's origin: buffered, put in order, delivered to this node's clients. */
  receive(entry: RelayEntry): void {
    if (this.closed || entry.epoch === this.epoch || entry.epoch.startsWith(`${this.epoch}-g`)) return;
    if (!this.ensure(entry.topic)) return; // a topic this node cannot show (a rig it does not know)
    const t = this.topics.get(entry.topic)!;
    this.relayed.received++;
    let o = t.origins.get(entry.epoch);
    if (!o) {
      // First word from this origin here: it starts where it is (clients without its earlier
      // deltas see a seq above 1, rejoin, and are told what this node cannot replay).
      o = this.newOrigin(entry.epoch, entry.node, entry.seq - 1);
      t.origins.set(entry.epoch, o);
    }
    if (entry.seq <= o.seq || o.held.has(entry.seq)) {
      this.relayed.duplicates++;
      return;
    }
    o.held.set(entry.seq, { seq: entry.seq, items: entry.items, at: Date.now() });
    this.applyHeld(t, o);
  }

  /** Applies held entries in order; a gap waits `reorderMs` for the missing ones, then is accepted. */
  private applyHeld(t: Topic, o: Origin, acceptGap = false): void {
    if (acceptGap && o.held.size > 0) {
      const next = Math.min(...o.held.keys());
      this.relayed.gaps++;
      this.o.onError(new Error(`stream ${t.name}: deltas ${o.seq + 1}..${next - 1} from node ${o.node} never arrived`));
      o.seq = next - 1;
      o.ring = []; // nothing before the gap can be replayed as one sequence
      o.ringItems = 0;
    }
    for (let e = o.held.get(o.seq + 1); e; e = o.held.get(o.seq + 1)) {
      o.held.delete(e.seq);
      o.seq = e.seq;
      this.remember(o, e);
      if (this.subscribers(t.name) > 0) void this.deliver(t, this.delta(t, o, e)).catch(this.o.onError);
    }
    // Another node's event can change what this node shows (a shared store, or that node's
    // own view of its rig, asked for again by `stale`); the view refresh says so.
    if (this.subscribers(t.name) > 0) t.source.stale?.();
    this.markViewDirty(t.name);
    if (o.heldTimer) clearTimeout(o.heldTimer);
    o.heldTimer = null;
    if (o.held.size > 0 && !this.closed) o.heldTimer = setTimeout(() => this.applyHeld(t, o, true), this.o.reorderMs);
  }

  /** One broadcast to this node's part of the room, except clients that are behind (caught up instead once drained). */
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
      // `local`: the other nodes deliver to their own clients from the relay, each with its own backpressure.
      const room = io.local.to(ROOM(t.name));
      (skip.size > 0 ? room.except([...skip]) : room).emit(STREAM_EVENTS.delta, delta);
      for (const id of members) {
        if (skip.has(id)) continue;
        const socket = io.of('/').sockets.get(id);
        if (!socket) continue;
        const cursors = this.state(socket).cursors.get(t.name);
        if (cursors && delta.items.length > 0) cursors.set(delta.epoch, delta.seq);
      }
    }
    for (const socket of catchUps) {
      const state = this.state(socket);
      state.behind.delete(t.name);
      const known = state.cursors.get(t.name) ?? new Map<string, number>();
      const plan = this.resumePlan(
        t,
        [...known].map(([epoch, seq]) => ({ epoch, seq })),
      );
      await this.catchUp(socket, t, plan);
    }
  }

  private poll(): void {
    const now = Date.now();
    for (const t of this.topics.values()) {
      // Origins long silent (a node restarted or gone) are forgotten, with what they buffered.
      for (const o of t.origins.values())
        if (o.epoch !== t.epoch && o.held.size === 0 && now - o.lastAt > this.o.idleTtlMs) t.origins.delete(o.epoch);
      if (!t.source.poll || this.subscribers(t.name) === 0) continue;
      try {
        if (t.source.poll()) this.markViewDirty(t.name);
      } catch (err) {
        this.o.onError(err);
      }
    }
  }

  /** Topics tracked and items buffered, for /metrics and the benchmark; relayed pushes in a cluster. */
  stats(): {
    topics: number;
    bufferedItems: number;
    behindClients: number;
    relayed: { received: number; duplicates: number; gaps: number };
  } {
    let bufferedItems = 0;
    for (const t of this.topics.values()) {
      bufferedItems += t.pending.length;
      for (const o of t.origins.values()) bufferedItems += o.ringItems;
    }
    let behindClients = 0;
    for (const socket of this.options.io.of('/').sockets.values()) if (this.state(socket).behind.size > 0) behindClients++;
    return { topics: this.topics.size, bufferedItems, behindClients, relayed: { ...this.relayed } };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poller);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const t of this.topics.values()) {
      for (const o of t.origins.values()) if (o.heldTimer) clearTimeout(o.heldTimer);
      t.source.close?.();
    }
  }
}
