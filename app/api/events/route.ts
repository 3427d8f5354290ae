import { NextResponse } from 'next/server';
import { z } from 'zod';
import { line } from '@/contracts/text';
import { Duration, Limit, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

const Query = z.strictObject({
  type: line({ max: 4_000 })
    .transform((s) => s.split(','))
    .optional(),
  rig: line({ max: 40 }).optional(),
  since: Duration.optional(),
  limit: Limit,
});

/** The engine's event log, newest first: `?type=mr.merged,mr.conflicted&rig=&since=1h`. */
export async function GET(request: Request) {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  const rt = runtime();
  const { type, rig, since, limit } = parsed.data;
  const events = await rt.queries.events({
    types: type,
    rig,
    limit,
    since: since === undefined ? undefined : rt.town.clock.now() - since,
  });
  return NextResponse.json(events);
}
