import { NextResponse } from 'next/server';
import { z } from 'zod';
import { readJson, runCommand, route } from '@/lib/api';
import { commaList, Limit, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

const Query = z.strictObject({
  status: commaList(z.enum(['waiting', 'open'])).optional(),
  limit: Limit,
});

/** Gates, newest first: `?status=waiting`. */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  return NextResponse.json(await runtime().queries.gates(parsed.data));
});

/** Creates a gate: `{ kind, title, holds, beads?, inMs?, rig? }`. */
export const POST = route(async (request: Request) => {
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'gate.create', body.body, 201);
});
