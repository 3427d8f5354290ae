import { NextResponse } from 'next/server';
import { z } from 'zod';
import { Before, commaList, Duration, FilterText, Limit, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

const Query = z.strictObject({
  type: commaList(FilterText).optional(),
  rig: FilterText.optional(),
  since: Duration.optional(),
  limit: Limit,
  before: Before,
});

/**
 * The engine's event log, newest first: `?type=mr.merged,mr.conflicted&rig=&since=1h`.
 * Pages of at most 1000; the next page is `?before=<the last event's id>`.
 */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  const rt = runtime();
  const { type, rig, since, limit, before } = parsed.data;
  const events = await rt.queries.events({
    types: type,
    rig,
    limit,
    before,
    since: since === undefined ? undefined : rt.town.clock.now() - since,
  });
  return NextResponse.json(events);
});
