/**
 * Websocket connections are authenticated like requests: the handshake's session cookie
 * (browsers) or a token (`io(url, { auth: { token } })`: scripts, the benchmark's
 * clients). A cross-origin handshake is refused, so another site cannot ride a signed-in
 * browser's cookie into the town's live streams.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'socket.io';
import type { Actor } from '../commands/command';
import type { Authenticator } from './authenticator';
import { hostRefusal } from '../http/boundary';
import type { HostAllowList } from '../http/hosts';
import type { FailureLimiter } from '../http/rate-limit';
import { sameOrigin } from './http-gate';

export interface SocketData {
  actor: Actor;
}

/**
 * socket.io `allowRequest`: handshakes naming this server (the Host allow-list: engine.io
 * answers /socket.io/ before the HTTP boundary sees it) and same-origin only.
 */
export function allowSameOrigin(hosts: HostAllowList | null) {
  return (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void => {
    const refusal = hosts ? hostRefusal(hosts, req) : null;
    if (refusal) return callback(refusal, false);
    const ok = sameOrigin(req);
    callback(ok ? null : 'cross-origin connection refused', ok);
  };
}

/** socket.io middleware: the connection's actor, or `unauthorized`. */
export function socketAuth(auth: Authenticator, limiter: FailureLimiter | null = null) {
  return (socket: Socket, next: (err?: Error) => void): void => {
    const { headers, address } = socket.handshake;
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const authorization = typeof token === 'string' ? `Bearer ${token}` : (headers.authorization ?? null);
    const bearer = authorization?.toLowerCase().startsWith('bearer ') ?? false;
    // A token guessed over the socket counts against the same per-address bound as over HTTP.
    if (bearer && limiter && limiter.retryAfter(address) > 0) return next(new Error('rate_limited'));
    const who = auth.authenticate({ cookie: headers.cookie ?? null, authorization });
    if (bearer && limiter && auth.mode === 'on' && who?.via !== 'bearer') limiter.fail(address);
    if (!who) return next(new Error('unauthorized'));
    (socket.data as SocketData).actor = who.actor;
    next();
  };
}
