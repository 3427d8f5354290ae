/**
 * The custom server's request path, in order, before any page, route or the auth gate:
 *   1. Host allow-list (hosts.ts): a request naming another host is refused with 421.
 *   2. The path must percent-decode: `/api/convoys/%ff/dispatch` is a JSON 400, not Next's 500;
 *      and it has no `.` or `..` segment, plain or encoded (`/api/rigs/%2e%2e/split`), which
 *      URL parsing would resolve into another route (Next's HTML 404 or a 308), never a 400.
 *   3. The body must fit its limit (limits.ts, body-limit.ts): 413, unread.
 *   4. The auth gate (server/auth/http-gate.ts), then Next.
 * Anything that throws on the way is the catch-all's 500 with an error id (respond.ts).
 * socket.io handshakes bypass this listener (engine.io answers /socket.io/ itself), so
 * server/auth/socket-auth.ts applies the same Host check to them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkBody } from './body-limit';
import type { HostAllowList } from './hosts';
import { bodyLimitFor } from './limits';
import { refuse, sendInternalError } from './respond';

export interface BoundaryOptions {
  hosts: HostAllowList;
  /** The auth gate: true when it answered the request itself. */
  gate(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Next's request handler. */
  next(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** True when the request came over TLS or through a proxy that says it did. */
export function isSecure(req: IncomingMessage): boolean {
  const proto = req.headers['x-forwarded-proto'];
  return (Array.isArray(proto) ? proto[0] : proto) === 'https' || ('encrypted' in req.socket && Boolean(req.socket.encrypted));
}

/** The Host check alone (also used by the socket.io handshake). */
export function hostRefusal(hosts: HostAllowList, req: IncomingMessage): string | null {
  return hosts.allows(req.headers.host, isSecure(req))
    ? null
    : `this server does not answer for host '${String(req.headers.host ?? '')}' (set GT_PUBLIC_URL or GT_ALLOWED_HOSTS to add a name)`;
}

/** The pathname of a request target, or null when it is not a decodable path. */
export function requestPath(target: string | undefined): string | null {
  try {
    const pathname = new URL(target ?? '/', 'http://gastown.invalid').pathname;
    decodeURIComponent(pathname);
    return pathname;
  } catch {
    return null;
  }
}

/** True when the raw target (before `?`) has a `.` or `..` segment, plain or percent-encoded. */
export function hasDotSegment(target: string | undefined): boolean {
  const raw = (target ?? '/').split(/[?#]/, 1)[0];
  return raw.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}

/** How long a refused body's connection stays open, discarding, so the client can read the 413. */
const LINGER_MS = 1_000;

/**
 * Lingering close for a refused body. Node closes the connection as soon as the 413 is
 * written; with the client's unread upload still in the socket's receive buffer the
 * kernel then answers with a reset, and the client may lose the 413 it was sent. So the
 * write side is closed at once (the client sees the answer and the end) and the socket
 * itself a little later.
 *
 * Meanwhile the rest of the body is not read at all: left in the kernel's buffers, it
 * stalls the client's upload instead of costing us. Reading it only to drop it (what Node
 * does with a request nobody consumed) went through ~100 MB of short-lived buffers per
 * refused body, and the server's resident memory grew by 34 MB over ten of them (1.7 MB
 * paused; docs/benchmarks.md, body limit). `_paused` is the flag Node's HTTP server itself
 * sets to hold a socket's reading (pipelined requests): with it, the request's own
 * resume (its dump once the 413 is sent) does not start reading again.
 */
function lingerBeforeClose(req: IncomingMessage): void {
  const socket = req.socket as Duplex & { destroySoon?: () => void; _paused?: boolean };
  socket._paused = true;
  socket.pause();
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

/**
 * The server's `clientError` listener: a request Node's parser refuses before any listener
 * sees it (headers past 16 KB, a malformed request line) is answered with a JSON error too.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
  const [status, reason, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'too_large', 'the request line and headers are larger than 16 KB']
      : [400, 'Bad Request', 'invalid', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The `createServer` listener: the checks above, then the gate and Next. */
export function createRequestListener(options: BoundaryOptions) {
  async function serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const body = await checkBody(req, bodyLimitFor(pathname));
    if (body === 'aborted') return;
    if (body === 'too_large') {
      const limit = bodyLimitFor(pathname);
      lingerBeforeClose(req);
      return refuse(res, 413, 'too_large', `request body is larger than ${limit / 1024 / 1024} MB`, {
        connection: 'close',
      });
    }
    if (await options.gate(req, res)) return;
    await options.next(req, res);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const refusal = hostRefusal(options.hosts, req);
      if (refusal) return refuse(res, 421, 'misdirected', refusal, { connection: 'close' });
      const pathname = requestPath(req.url);
      if (pathname === null) return refuse(res, 400, 'invalid', 'the request path has a bad percent-escape');
      if (hasDotSegment(req.url)) return refuse(res, 400, 'invalid', 'the request path has a . or .. segment');
      // checkBody must run before this listener returns (see body-limit.ts): serve() calls it synchronously.
      serve(req, res, pathname).catch((err: unknown) => sendInternalError(res, err, `${req.method} ${pathname}`));
    } catch (err) {
      sendInternalError(res, err, `${req.method} ${req.url}`);
    }
  };
}
