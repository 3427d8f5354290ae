import { NextResponse } from 'next/server';
import { actorFor, errorResponse, readJson, toErrorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** Runs one what-if with the given parameters (server/lab/params.ts). Changes nothing in the town. */
export const POST = route(async (request: Request) => {
  if (!actorFor(request)) return errorResponse('unauthorized', 'sign in first');
  const body = await readJson(request);
  if (!body.ok) return body.response;
  try {
    return NextResponse.json(await runtime().lab.run(body.body));
  } catch (err) {
    return toErrorResponse(err);
  }
});
