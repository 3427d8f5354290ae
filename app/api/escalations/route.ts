import { NextResponse } from 'next/server';
import { z } from 'zod';
import { Limit, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

const Query = z.strictObject({
  status: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(z.enum(['open', 'acknowledged', 'resolved'])))
    .optional(),
  limit: Limit,
});

/** Escalations, newest first: `?status=open,acknowledged`. */
export async function GET(request: Request) {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  return NextResponse.json(await runtime().queries.escalations(parsed.data));
}
