import { NextResponse } from 'next/server';
import { z } from 'zod';
import { parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

const Query = z.strictObject({
  by: z.enum(['agent', 'rig', 'convoy', 'model', 'day']).default('rig'),
  range: z.enum(['today', 'week']).default('today'),
});

/** Tokens and cost grouped `?by=agent|rig|convoy|model|day` over `?range=today|week`, with the budget. */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  return NextResponse.json(await runtime().queries.costs(parsed.data.by, parsed.data.range));
});
