/**
 * JSON answers from the custom server itself (the gate, the boundary checks), shaped like
 * every route's: `{ error: { code, message } }`.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export function refuse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string | string[]> = {},
): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

/**
 * The catch-all's answer to an unexpected throw: a 500 whose body names an error id, and
 * the stack in the server's log under the same id (never in the response).
 */
export function internalError(err: unknown, where: string): { code: 'internal'; message: string; id: string } {
  const id = randomBytes(6).toString('hex');
  console.error(`[gastown] internal error ${id} in ${where}:`, err instanceof Error ? (err.stack ?? err.message) : err);
  return { code: 'internal', message: `internal error (id ${id}: the server's log has the details)`, id };
}

/** Answers an unexpected throw with the catch-all's 500, unless an answer already started. */
export function sendInternalError(res: ServerResponse, err: unknown, where: string): void {
  const error = internalError(err, where);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, 500, { error });
}
