import { NextResponse } from 'next/server';
import { z } from 'zod';
import { readJson, runCommand, toErrorResponse, route } from '@/lib/api';
import { monitoring } from '@/lib/monitoring';
import { Limit, parseQuery } from '@/lib/query-params';

export const dynamic = 'force-dynamic';

const Query = z.strictObject({
  active: z.enum(['0', '1', 'true', 'false']).optional(),
  limit: Limit,
});

/** Silences, newest first; `?active=1` for the ones not yet ended. */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  try {
    const active = parsed.data.active === '1' || parsed.data.active === 'true';
    return NextResponse.json(await monitoring().alerts.listSilences({ active, limit: parsed.data.limit }));
  } catch (err) {
    return toErrorResponse(err);
  }
});

/** Silences every alert matching labels: `{ matchers: [{ name, value }], reason, durationMs }`. */
export const POST = route(async (request: Request) => {
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'alert.silence', body.body, 201);
});
