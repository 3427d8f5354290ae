import { NextResponse } from 'next/server';
import { z } from 'zod';
import { Before, commaList, FilterText, Limit, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

/** How far back a filtered read looks: the store lists by recency only, so filters apply to this window. */
const FILTER_WINDOW = 1000;

const Query = z.strictObject({
  limit: Limit,
  before: Before,
  actor: FilterText.optional(),
  action: commaList(FilterText).optional(),
});

/**
 * Operator actions, accepted and refused, newest first: `?limit=100&actor=alice&action=bead.create,rig.split`.
 * Pages of at most 1000; the next page is `?before=<the last record's id>`. Each record's
 * input is the bounded digest the CommandBus keeps (server/commands/audit-digest.ts).
 */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  const { limit, before, actor, action } = parsed.data;
  const filtered = actor !== undefined || action !== undefined;
  const records = await runtime().queries.audit(filtered ? FILTER_WINDOW : limit, before);
  const matching = records.filter(
    (r) => (actor === undefined || r.actor === actor) && (action === undefined || action.includes(r.action)),
  );
  return NextResponse.json(matching.slice(0, limit));
});
