/**
 * The live-stream protocol, shared by the server (server/realtime/hub.ts) and the
 * browser (lib/stream-client.ts).
 *
 * A client joins topics: `town`, `alerts`, `rig:<name>`, `convoy:<id>`. On join it gets a
 * snapshot (the topic's view and one cursor per origin), then deltas: batches of items
 * (engine events, queue samples, alert changes) coalesced over a short window, each with
 * the refreshed view when it changed.
 *
 * Origins: in a cluster (GT_REDIS_URL) a topic is fed by every node's engine, and each node
 * numbers what it originates on its own; one ordered sequence across nodes would need a
 * round trip to a shared counter per push. So a delta names its origin (`epoch`: one run of
 * one node's server, `node`: that node's name) and its `seq` counts that origin's deltas of
 * the topic without gaps: a delta with items has `seq = previous + 1` for its origin; a view
 * refresh alone (always from the node the client is connected to) repeats that node's seq.
 * A client keeps one cursor per origin. On one server without Redis there is one origin.
 *
 * Reconnecting, to the same node or another one, the client joins again with its cursors:
 * every node keeps a bounded replay buffer per topic and origin (its own deltas and the ones
 * relayed to it from other nodes), so when it holds everything after each cursor it replays
 * those deltas and then sends a fresh snapshot (`mode: 'resume'`); otherwise it still
 * replays what it holds and says which origins it could not cover (`missed`), so a gap is
 * never silent. A client that sees a gap (an origin's seq jumps) rejoins with its cursors. A
 * client too slow to drain its socket is skipped (its buffer is bounded) and caught up the
 * same way.
 */
import type { AlertChange } from './alerts';
import type { DomainEvent } from './events';
import type { MergeQueueView, RefineryStatsView, RigView, TownOverview } from './town';

export const STREAM_PROTOCOL = 3;

export const STREAM_EVENTS = {
  join: 'stream:join',
  leave: 'stream:leave',
  snapshot: 'stream:snapshot',
  delta: 'stream:delta',
} as const;

/** Where a client is in one origin's deltas of a topic. */
export interface Cursor {
  /** The origin: one run of one node's server (a restart is a new origin). */
  epoch: string;
  seq: number;
  /** The origin's node name (GT_NODE), for people and logs. */
  node?: string;
}

export interface JoinRequest {
  topic: string;
  /** The client's cursors, one per origin it has heard from; null on a first join. */
  since?: Cursor[] | null;
}

export type JoinAck =
  | {
      ok: true;
      /** `resume`: everything after every cursor was replayed; `snapshot`: a fresh start (see `missed`). */
      mode: 'snapshot' | 'resume';
      replayed: number;
      /** The node answering. */
      node: string;
      /** Nodes whose deltas after the client's cursor this node no longer holds (empty on a resume). */
      missed: string[];
    }
  | { ok: false; error: string };

/** One thing that happened, with the wall-clock ms the server saw it (`ts`): data ages from there. */
export type StreamItem = { kind: 'event'; ts: number; event: DomainEvent } | { kind: 'alert'; ts: number; change: AlertChange };

export interface StreamSnapshot<V = unknown> {
  topic: string;
  /** The node that built the view (its own origin is among the cursors). */
  node: string;
  epoch: string;
  /** Where the view stands in every origin the node knows for this topic: the client's cursors from now on. */
  cursors: Cursor[];
  view: V;
}

export interface StreamDelta<V = unknown> {
  topic: string;
  /** The origin (see Cursor). */
  epoch: string;
  node: string;
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
