/** Parsing of list filters shared by GET routes: `?status=a,b&since=1h&limit=50`. */
import { z } from 'zod';
import { line } from '@/contracts/text';
import type { NextResponse } from 'next/server';
import { MAX_FILTER_VALUES } from '@/server/http/limits';
import { errorResponse } from './api';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `1h`, `7d` -> milliseconds. */
export const Duration = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, 'a duration such as 30s, 15m, 1h or 7d')
  .transform((v) => Number(v.slice(0, -1)) * UNITS[v.slice(-1)]);

export const Limit = z.coerce.number().int().min(1).max(1000).default(200);

/** One free-text filter value (a rig, an actor, an event type): bounded, so a query cannot carry megabytes. */
export const FilterText = line({ max: 200, min: 1 });

/**
 * A comma-list filter (`?status=open,blocked`): at most MAX_FILTER_VALUES values, each one
 * `item`, so a 5,000-value list is a 400 here instead of a query the database refuses.
 */
export function commaList<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .string()
    .max(MAX_FILTER_VALUES * 201, `at most ${MAX_FILTER_VALUES} values`)
    .transform((s) => s.split(','))
    .pipe(z.array(item).max(MAX_FILTER_VALUES, `at most ${MAX_FILTER_VALUES} values`));
}

/**
 * `?before=<id>`: the cursor of a newest-first page; the next page is the rows older than
 * the row with this id (the last row of the page before).
 */
export const Before = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional();

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
