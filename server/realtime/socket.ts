/**
 * Live updates over socket.io on the same HTTP server as the pages. Connections are
 * authenticated (a session cookie or a token) and same-origin only. Clients join topics
 * (`town`, `alerts`, `rig:<name>`, `convoy:<id>`) and get a snapshot, then coalesced,
 * numbered deltas, and resume without a gap after a reconnect (protocol.ts, hub.ts).
 */
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { AlertManager } from '../alerts/manager';
import type { Authenticator } from '../auth/authenticator';
import { allowSameOrigin, socketAuth } from '../auth/socket-auth';
import type { TownStore } from '../engine/ports';
import type { HostAllowList } from '../http/hosts';
import type { FailureLimiter } from '../http/rate-limit';
import type { Town } from '../engine/town';
import type { FleetReadings, TownOverview } from '../queries/town-view';
import { townOverview } from '../queries/town-view';
import { StreamHub, type HubOptions } from './hub';
import { STREAM_EVENTS, type JoinAck, type JoinRequest, type RigDetail } from './protocol';
import { OverviewMemo, createTopicResolver, feedTopics, rigDetailFrom } from './topics';

export { type RigDetail } from './protocol';

export function rigDetail(town: Town, name: string, overview: TownOverview = townOverview(town)): RigDetail | null {
  return rigDetailFrom(town, name, overview);
}

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
    socket.on(STREAM_EVENTS.join, (request: JoinRequest, ack?: unknown) => {
      const reply = (result: JoinAck) => {
        if (typeof ack === 'function') ack(result);
      };
      hub.join(socket, request).then(reply, (err: unknown) => {
        // A client's request must never take the server down; it gets an answer instead.
        console.error('[gastown] stream join failed', err);
        reply({ ok: false, error: 'topic unavailable' });
      });
    });
    socket.on(STREAM_EVENTS.leave, (topic: unknown) => {
      if (typeof topic === 'string') hub.leave(socket, topic);
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
