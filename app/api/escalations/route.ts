import { NextResponse } from 'next/server';
import { z } from 'zod';
import { commaList, Limit, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

const Query = z.strictObject({
  status: commaList(z.enum(['open', 'acknowledged', 'resolved'])).optional(),
  limit: Limit,
});

/** Escalations, newest first: `?status=open,acknowledged`. */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  return NextResponse.json(await runtime().queries.escalations(parsed.data));
});
