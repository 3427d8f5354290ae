/**
 * Live updates over socket.io on the same HTTP server as the pages. Connections are
 * authenticated (a session cookie or a token) and same-origin only. Clients join topics
 * (`town`, `alerts`, `rig:<name>`, `convoy:<id>`) and get a snapshot, then coalesced,
 * numbered deltas, and resume without a gap after a reconnect (contracts/realtime.ts, hub.ts).
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
import { STREAM_EVENTS, type JoinAck, type JoinRequest, type RigDetail } from '../../contracts/realtime';
import { describeIssues } from '../commands/command';
import { OverviewMemo, createTopicResolver, feedTopics, rigDetailFrom } from './topics';

export function rigDetail(town: Town, name: string, overview: TownOverview = townOverview(town)): RigDetail | null {
  return rigDetailFrom(town, name, overview);
}

/** What a client may send: the one text rule applies to the topic and the cursor's epoch. */
const Topic = line({ max: TEXT_LIMITS.topic, min: 1 });
const JoinRequestSchema = z.object({
  topic: Topic,
  since: z
    .object({ epoch: line({ max: TEXT_LIMITS.id }), seq: z.number().int().min(0) })
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
  hub?: Partial<Omit<HubOptions, 'io' | 'resolve'>>;
}

export function attachRealtime(options: RealtimeOptions) {
  const { town } = options;
  const io = new Server(options.httpServer, {
    serveClient: false,
    cors: { origin: false },
    allowRequest: allowSameOrigin(options.hosts ?? null),
  });
  if (options.auth) io.use(socketAuth(options.auth, options.limiter ?? null));
  const memo = new OverviewMemo(town, options.fleet);
  const deps = { town, store: options.store, alerts: options.alerts ?? null };
  const hub = new StreamHub({ io, resolve: createTopicResolver(deps, memo), ...options.hub });
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
    },
  };
}

export type Realtime = ReturnType<typeof attachRealtime>;
