import { NextResponse } from 'next/server';
import { z } from 'zod';
import { line } from '@/contracts/text';
import { Limit, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** How far back a filtered read looks: the store lists by recency only, so filters apply to this window. */
const FILTER_WINDOW = 1000;

const Query = z.strictObject({
  limit: Limit,
  actor: line({ max: 80, min: 1 }).optional(),
  action: line({ max: 4_000 })
    .transform((s) => s.split(','))
    .optional(),
});

/** Operator actions, accepted and refused, newest first: `?limit=100&actor=alice&action=bead.create,rig.split`. */
export async function GET(request: Request) {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  const { limit, actor, action } = parsed.data;
  const filtered = actor !== undefined || action !== undefined;
  const records = await runtime().queries.audit(filtered ? FILTER_WINDOW : limit);
  const matching = records.filter(
    (r) => (actor === undefined || r.actor === actor) && (action === undefined || action.includes(r.action)),
  );
  return NextResponse.json(matching.slice(0, limit));
}
