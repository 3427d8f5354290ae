/**
 * Helpers that keep route handlers thin: authorise -> parse -> one call -> map errors.
 */
import { NextResponse } from 'next/server';
import type { Actor } from '@/server/commands';
import { runtime } from './runtime';

const STATUS: Record<string, number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, unavailable: 503 };

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
 * Who is asking. When GT_OPERATOR_TOKEN is set, operator actions need
 * `Authorization: Bearer <token>`; without it everyone on this (loopback-bound) server
 * is the local operator.
 */
export function actorFor(request: Request): Actor | null {
  const token = runtime().config.operatorToken;
  if (!token) return { name: 'local-operator', role: 'operator' };
  const header = request.headers.get('authorization') ?? '';
  return header === `Bearer ${token}` ? { name: 'operator', role: 'operator' } : { name: 'anonymous', role: 'viewer' };
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
  if (!actor) return errorResponse('forbidden', 'not allowed');
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
