/**
 * Helpers that keep route handlers thin: authorise -> parse -> one call -> map errors.
 */
import { NextResponse } from 'next/server';
import type { Actor } from '@/server/commands';
import { monitoring } from './monitoring';
import { runtime } from './runtime';

const STATUS: Record<string, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/** JSON error body every route uses: `{ error: { code, message, details? } }`. */
export function errorResponse(code: string, message: string, details?: unknown): NextResponse {
  return NextResponse.json({ error: { code, message, details } }, { status: STATUS[code] ?? 500 });
}

/** Maps a thrown error to a response; engine errors carry their code, anything else is a 500. */
export function toErrorResponse(err: unknown): NextResponse {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' && err.code in STATUS) {
    const e = err as { code: string; message: string; details?: unknown };
    return errorResponse(e.code, e.message, e.details);
  }
  console.error('[gastown] unexpected API error', err);
  return errorResponse('internal', 'internal error');
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
  });
  return who?.actor ?? null;
}

/** Reads a JSON body; a malformed one is a clear 400, not a crash. */
export async function readJson(request: Request): Promise<{ ok: true; body: unknown } | { ok: false; response: NextResponse }> {
  try {
    const text = await request.text();
    return { ok: true, body: text.length === 0 ? {} : JSON.parse(text) };
  } catch {
    return { ok: false, response: errorResponse('invalid', 'request body must be JSON') };
  }
}

/** Runs one command with the request's actor and maps the outcome to a response. */
export async function runCommand(request: Request, name: string, input: unknown, status = 200): Promise<NextResponse> {
  const actor = actorFor(request);
  if (!actor) return errorResponse('unauthorized', 'sign in first');
  try {
    const result = await runtime().commands.execute(name, input, actor);
    return NextResponse.json(result ?? { ok: true }, { status });
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** A JSON object body with a path parameter merged in (`{ ...body, rig }`); anything else as it is, for zod to refuse. */
export function withParam(body: unknown, key: string, value: string): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, [key]: value } : body;
}
