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
import { sameOrigin } from './http-gate';

export interface SocketData {
  actor: Actor;
}

/** socket.io `allowRequest`: same-origin handshakes only. */
export function allowSameOrigin(
  req: IncomingMessage,
  callback: (err: string | null | undefined, success: boolean) => void,
): void {
  const ok = sameOrigin(req);
  callback(ok ? null : 'cross-origin connection refused', ok);
}

/** socket.io middleware: the connection's actor, or `unauthorized`. */
export function socketAuth(auth: Authenticator) {
  return (socket: Socket, next: (err?: Error) => void): void => {
    const { headers } = socket.handshake;
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const authorization = typeof token === 'string' ? `Bearer ${token}` : (headers.authorization ?? null);
    const who = auth.authenticate({ cookie: headers.cookie ?? null, authorization });
    if (!who) return next(new Error('unauthorized'));
    (socket.data as SocketData).actor = who.actor;
    next();
  };
}
