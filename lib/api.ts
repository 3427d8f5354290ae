/**
 * Helpers that keep route handlers thin: authorise -> parse -> one call -> map errors.
 */
import { NextResponse } from 'next/server';
import type { Actor } from '@/server/commands';
import { commandRecord, commandRig } from '@/server/cluster/forward';
import { isLeaderCommand } from '@/server/cluster/leader-routes';
import { FORWARDED_BY, forwardedHeaders } from '@/server/cluster/forwarded-identity';
import { nestsDeeperThan } from '@/server/http/json-depth';
import { MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH } from '@/server/http/limits';
import { internalError } from '@/server/http/respond';
import { monitoring } from './monitoring';
import { runtime } from './runtime';

const STATUS: Record<string, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  misdirected: 421,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** JSON error body every route uses: `{ error: { code, message, details? } }`. */
export function errorResponse(code: string, message: string, details?: unknown): NextResponse {
  return NextResponse.json({ error: { code, message, details } }, { status: STATUS[code] ?? 500 });
}

/**
 * Maps a thrown error to a response; engine errors carry their code, anything else is the
 * catch-all's 500 with an error id (the stack goes to the log under that id only).
 */
export function toErrorResponse(err: unknown, where = 'an API route'): NextResponse {
  if (
    err &&
    typeof err === 'object' &&
    'code' in err &&
    typeof err.code === 'string' &&
    err.code in STATUS &&
    err.code !== 'internal'
  ) {
    const e = err as { code: string; message: string; details?: unknown };
    return errorResponse(e.code, e.message, e.details);
  }
  return NextResponse.json({ error: internalError(err, where) }, { status: 500 });
}

/**
 * Every route handler is declared through this (`export const GET = route(async (request) => ...)`),
 * so an unexpected throw is a JSON 500 with an error id, never Next's empty page.
 */
export function route<C>(
  handler: (request: Request, context: C) => Response | Promise<Response>,
): (request: Request, context: C) => Promise<Response> {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (err) {
      return toErrorResponse(err, `${request.method} ${new URL(request.url).pathname}`);
    }
  };
}

/**
 * Who is asking: a bearer token (scripts, the CLI) or the browser's session cookie, as the
 * server's Authenticator reads them (server/auth). The custom server's gate has already
 * refused the unauthenticated, cross-origin writes and writes without their CSRF token;
 * the CommandBus checks the role. Null: nobody we know.
 */
export function actorFor(request: Request): Actor | null {
  const who = monitoring().auth.authenticate({
    cookie: request.headers.get('cookie'),
    authorization: request.headers.get('authorization'),
    actorName: request.headers.get('x-gt-actor'),
    forwarded: forwardedHeaders((name) => request.headers.get(name)),
  });
  return who?.actor ?? null;
}

/** True when another node of the cluster forwarded the request (the gate has checked its signature). */
export function isForwarded(request: Request): boolean {
  return request.headers.get(FORWARDED_BY) !== null;
}

/**
 * In a cluster, a read about a record another node runs (a convoy, with its rigs) answered by
 * that node, as the caller, its answer passed back unchanged; null: this node answers. `rig`
 * is looked up only when there is somewhere to forward to.
 */
export async function readOnOwner(request: Request, rig: () => Promise<string | null>): Promise<Response | null> {
  const { forwarder } = runtime();
  const actor = actorFor(request);
  if (!forwarder || !actor || isForwarded(request)) return null;
  const owner = await rig();
  if (!owner) return null;
  const url = new URL(request.url);
  return forwarder.forRig(owner, { method: 'GET', target: url.pathname + url.search, actor, accept: 'application/json' });
}

/** The body's text, or null past `limit` bytes (it stops reading there). */
async function readBounded(request: Request, limit: number): Promise<string | null> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a JSON body, bounded (the custom server refuses bigger ones first; this holds
 * wherever a route runs): past MAX_JSON_BODY_BYTES a 413, nested past MAX_JSON_DEPTH or
 * malformed a 400, never a crash.
 */
export async function readJson(
  request: Request,
  limit = MAX_JSON_BODY_BYTES,
): Promise<{ ok: true; body: unknown } | { ok: false; response: NextResponse }> {
  let text: string | null;
  try {
    text = await readBounded(request, limit);
  } catch {
    return { ok: false, response: errorResponse('invalid', 'the request body could not be read') };
  }
  if (text === null) return { ok: false, response: errorResponse('too_large', `request body is larger than ${limit} bytes`) };
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return { ok: false, response: errorResponse('invalid', `request body nests deeper than ${MAX_JSON_DEPTH} levels`) };
  }
  try {
    return { ok: true, body: text.length === 0 ? {} : JSON.parse(text) };
  } catch {
    return { ok: false, response: errorResponse('invalid', 'request body must be JSON') };
  }
}

/**
 * Runs one command with the request's actor and maps the outcome to a response. In a cluster,
 * a command naming a rig another node runs is run there, as this actor (server/cluster/forward.ts).
 */
export async function runCommand(request: Request, name: string, input: unknown, status = 200): Promise<Response> {
  const actor = actorFor(request);
  if (!actor) return errorResponse('unauthorized', 'sign in first');
  try {
    const { commands, forwarder, queries } = runtime();
    const record = forwarder ? commandRecord(name, input) : null;
    const rig = commandRig(name, input) ?? (record ? await queries.recordRig(record.kind, record.id) : null);
    const toLeader = forwarder !== null && isLeaderCommand(name);
    // The loop guard: a forwarded command is run here, whatever this node finds.
    if (forwarder && (rig || toLeader) && !isForwarded(request)) {
      const relayed = {
        method: 'POST',
        target: `/api/commands/${encodeURIComponent(name)}`,
        actor,
        contentType: 'application/json',
        body: JSON.stringify(input),
      };
      const answer = toLeader ? await forwarder.forLeader(relayed) : await forwarder.forRig(rig!, relayed);
      // The owner answers as POST /api/commands does (200); this route's own success status stays.
      if (answer) return answer.status === 200 ? new Response(answer.body, { status, headers: answer.headers }) : answer;
    }
    const result = await commands.execute(name, input, actor);
    return NextResponse.json(result ?? { ok: true }, { status });
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** A JSON object body with a path parameter merged in (`{ ...body, rig }`); anything else as it is, for zod to refuse. */
export function withParam(body: unknown, key: string, value: string): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, [key]: value } : body;
}
