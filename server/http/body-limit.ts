/**
 * Request bodies are bounded before anything reads them (limits.ts), in the custom
 * server's request path, so no route can forget it:
 *   - a Content-Length past the limit is refused at once, unread;
 *   - a body without one (chunked) is counted as the HTTP parser hands it over, held back
 *     from Next until it is complete and within the limit, and refused the moment it
 *     passes the limit; the rest is dropped as it arrives, never buffered.
 * The request is handed to Next only with a body it may read.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export type BodyVerdict = 'ok' | 'too_large' | 'aborted';

/**
 * Decides whether `req`'s body fits in `limit` bytes. Must be called synchronously in the
 * request listener (before the parser hands over the first chunk).
 */
export function checkBody(req: IncomingMessage, limit: number): Promise<BodyVerdict> | BodyVerdict {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > limit ? 'too_large' : 'ok';
  if (req.headers['transfer-encoding'] === undefined) return 'ok'; // no body
  return holdChunkedBody(req, limit);
}

/**
 * Takes over `req.push` (what the HTTP parser calls with each body chunk) until the body
 * ends: chunks are kept aside and replayed into the stream once it is complete and
 * small enough; past the limit they are dropped and the verdict is `too_large`.
 */
function holdChunkedBody(req: IncomingMessage, limit: number): Promise<BodyVerdict> {
  const push = Readable.prototype.push;
  const held: Buffer[] = [];
  let size = 0;
  let over = false;
  return new Promise((resolve) => {
    const onClose = () => {
      if (!req.complete) resolve('aborted');
    };
    req.once('close', onClose);
    req.push = function hold(chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk === null) {
        req.off('close', onClose);
        if (over) return push.call(req, null);
        req.push = push;
        for (const c of held) push.call(req, c);
        held.length = 0;
        const result = push.call(req, null, encoding);
        resolve('ok');
        return result;
      }
      if (over) return true;
      size += (chunk as Buffer).length;
      if (size > limit) {
        over = true;
        held.length = 0;
        resolve('too_large');
        return true;
      }
      held.push(chunk as Buffer);
      return true;
    };
  });
}
