/** Parsing of list filters shared by GET routes: `?status=a,b&since=1h&limit=50`. */
import { z } from 'zod';
import type { NextResponse } from 'next/server';
import { errorResponse } from './api';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `1h`, `7d` -> milliseconds. */
export const Duration = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, 'a duration such as 30s, 15m, 1h or 7d')
  .transform((v) => Number(v.slice(0, -1)) * UNITS[v.slice(-1)]);

export const Limit = z.coerce.number().int().min(1).max(1000).default(200);

/** Query string to a plain object (first value of each key). */
export function searchParams(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams.entries());
}

/** Parses a GET request's query with `schema`; a bad query is a clear 400. */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  request: Request,
): { ok: true; data: z.output<S> } | { ok: false; response: NextResponse } {
  const parsed = schema.safeParse(searchParams(request));
  if (parsed.success) return { ok: true, data: parsed.data };
  const message = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
  return { ok: false, response: errorResponse('invalid', message, parsed.error.issues) };
}
