/**
 * The live-stream protocol, shared by the server (server/realtime/hub.ts) and the
 * browser (lib/stream-client.ts).
 *
 * A client joins topics: `town`, `alerts`, `rig:<name>`, `convoy:<id>`. On join it gets a
 * snapshot (the topic's view and a cursor `{ epoch, seq }`), then deltas: batches of items
 * (engine events, queue samples, alert changes) numbered without gaps, coalesced over a
 * short window, each with the refreshed view when it changed. A delta with items has
 * `seq = previous + 1`; a view refresh alone repeats the current seq.
 *
 * Reconnecting, the client joins again with its last cursor: when the server still holds
 * everything after it (a bounded replay buffer per topic, same epoch), it replays those
 * deltas and then sends a fresh snapshot, so nothing is missed; otherwise it sends a fresh
 * snapshot only. A client that sees a gap (seq jumps) rejoins with its cursor. A client too
 * slow to drain its socket is skipped (its buffer is bounded) and caught up the same way.
 */
import type { AlertChange } from './alerts';
import type { DomainEvent } from './events';
import type { MergeQueueView, RefineryStatsView, RigView, TownOverview } from './town';

export const STREAM_PROTOCOL = 2;

export const STREAM_EVENTS = {
  join: 'stream:join',
  leave: 'stream:leave',
  snapshot: 'stream:snapshot',
  delta: 'stream:delta',
} as const;

export interface Cursor {
  /** Changes when the server restarts: an old cursor then means "send a snapshot". */
  epoch: string;
  seq: number;
}

export interface JoinRequest {
  topic: string;
  since?: Cursor | null;
}

export type JoinAck = { ok: true; mode: 'snapshot' | 'resume'; replayed: number } | { ok: false; error: string };

/** One thing that happened, with the wall-clock ms the server saw it (`ts`): data ages from there. */
export type StreamItem = { kind: 'event'; ts: number; event: DomainEvent } | { kind: 'alert'; ts: number; change: AlertChange };

export interface StreamSnapshot<V = unknown> {
  topic: string;
  epoch: string;
  seq: number;
  view: V;
}

export interface StreamDelta<V = unknown> {
  topic: string;
  epoch: string;
  seq: number;
  items: StreamItem[];
  /** The topic's refreshed view, when it changed. */
  view?: V;
  /** Sent again on a resume (the client had missed it). */
  replay?: true;
}

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

/** The `town` topic's view. */
export interface TownView {
  overview: TownOverview;
}
