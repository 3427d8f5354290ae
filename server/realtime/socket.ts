/**
 * Live updates over socket.io on the same HTTP server as the pages. Connections are
 * authenticated (a session cookie or a token) and same-origin only. Clients join topics
 * (`town`, `alerts`, `rig:<name>`, `convoy:<id>`) and get a snapshot, then coalesced,
 * numbered deltas, and resume without a gap after a reconnect (contracts/realtime.ts, hub.ts).
 * With a Redis link (GT_REDIS_URL) socket.io runs on the Redis Streams adapter and the hubs
 * of all nodes share their pushes through it (relay.ts), so a client on any node sees every
 * node's events and can resume on any node.
 */
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { z } from 'zod';
import { line, TEXT_LIMITS } from '../../contracts/text';
import type { AlertManager } from '../alerts/manager';
import type { Authenticator } from '../auth/authenticator';
import { allowSameOrigin, socketAuth } from '../auth/socket-auth';
import type { TownStore } from '../engine/ports';
import type { HostAllowList } from '../http/hosts';
import type { FailureLimiter } from '../http/rate-limit';
import type { Town } from '../engine/town';
import { type FleetReadings, townOverview } from '../queries/town-view';
import type { TownOverview } from '../../contracts/town';
import { StreamHub, type HubOptions } from './hub';
import type { RedisLink } from './redis-link';
import { adapterRelay } from './relay';
import { STREAM_EVENTS, type JoinAck, type JoinRequest, type RigDetail } from '../../contracts/realtime';
import { describeIssues } from '../commands/command';
import { OverviewMemo, createTopicResolver, feedTopics, type RemoteViews } from './topics';
import { rigDetailFrom } from './rig-topic';

export function rigDetail(town: Town, name: string, overview: TownOverview = townOverview(town)): RigDetail | null {
  return rigDetailFrom(town, name, overview);
}

/** What a client may send: the one text rule applies to the topic and the cursor's epoch. */
const Topic = line({ max: TEXT_LIMITS.topic, min: 1 });
/** More origins than a cluster has nodes (each restart is a new one) would be a forged request. */
const MAX_CURSORS = 64;
const JoinRequestSchema = z.object({
  topic: Topic,
  since: z
    .array(
      z.object({
        epoch: line({ max: TEXT_LIMITS.id, min: 1 }),
        seq: z.number().int().min(0),
        node: line({ max: TEXT_LIMITS.id }).optional(),
      }),
    )
    .max(MAX_CURSORS)
    .nullable()
    .optional(),
}) satisfies z.ZodType<JoinRequest>;

export interface RealtimeOptions {
  httpServer: HttpServer;
  town: Town;
  store: TownStore;
  /** Authenticates every connection; omitted only by tests of the stream itself. */
  auth?: Authenticator | null;
  /** The Host allow-list handshakes must pass (server/http/hosts.ts); omitted by stream tests. */
  hosts?: HostAllowList | null;
  /** Bad tokens per client address, shared with the HTTP gate. */
  limiter?: FailureLimiter | null;
  alerts?: AlertManager | null;
  /** Measurements the overview shows beside the engine's numbers (time share, disk). */
  fleet?: FleetReadings;
  /** This node's name (GT_NODE), carried by its deltas. */
  node?: string;
  /** The Redis link of a cluster (GT_REDIS_URL): socket.io's adapter and the hubs' relay run on it. */
  redis?: RedisLink | null;
  /** In a cluster with forwarding: the other nodes' views of their rigs, for `town` and `rig:<name>`. */
  remote?: RemoteViews | null;
  hub?: Partial<Omit<HubOptions, 'io' | 'resolve' | 'node' | 'relay'>>;
}

export function attachRealtime(options: RealtimeOptions) {
  const { town } = options;
  const io = new Server(options.httpServer, {
    serveClient: false,
    cors: { origin: false },
    allowRequest: allowSameOrigin(options.hosts ?? null),
    ...(options.redis ? { adapter: options.redis.adapter() } : {}),
  });
  if (options.auth) io.use(socketAuth(options.auth, options.limiter ?? null));
  const memo = new OverviewMemo(town, options.fleet);
  const onError = options.hub?.onError ?? ((err: unknown) => console.error('[gastown] stream hub', err));
  // Other nodes' views are theirs to send only with a relay bringing their events.
  const remote = options.redis ? (options.remote ?? null) : null;
  const deps = { town, store: options.store, alerts: options.alerts ?? null, remote, onError };
  const relay = options.redis ? adapterRelay(io, options.redis, onError) : null;
  let hub: StreamHub | null = null;
  const resolve = createTopicResolver(deps, memo, (topic) => hub?.markViewDirty(topic));
  hub = new StreamHub({ io, resolve, node: options.node, relay, ...options.hub });
  hub.ensure('town');
  hub.ensure('alerts');
  const unfeed = feedTopics(hub, deps, memo);

  io.on('connection', (socket) => {
    socket.on(STREAM_EVENTS.join, (raw: unknown, ack?: unknown) => {
      const reply = (result: JoinAck) => {
        if (typeof ack === 'function') ack(result);
      };
      const request = JoinRequestSchema.safeParse(raw);
      if (!request.success) return reply({ ok: false, error: describeIssues(request.error) });
      hub.join(socket, request.data).then(reply, (err: unknown) => {
        // A client's request must never take the server down; it gets an answer instead.
        console.error('[gastown] stream join failed', err);
        reply({ ok: false, error: 'topic unavailable' });
      });
    });
    socket.on(STREAM_EVENTS.leave, (topic: unknown) => {
      const parsed = Topic.safeParse(topic);
      if (parsed.success) hub.leave(socket, parsed.data);
    });
  });

  return {
    io,
    hub,
    async close(): Promise<void> {
      hub.close();
      unfeed();
      await io.close();
      await options.redis?.close();
    },
  };
}

export type Realtime = ReturnType<typeof attachRealtime>;
