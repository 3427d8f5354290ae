import { NextResponse } from 'next/server';
import { actorFor, errorResponse, readJson, toErrorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/**
 * Replays a rig's own history: `{ rig, maxN?, windows?, seed? }` answers the conflict
 * curve and the ranked partitions (server/lab/history). Runs in a worker thread; changes
 * nothing in the town or the rig's repository.
 */
export const POST = route(async (request: Request) => {
  if (!actorFor(request)) return errorResponse('unauthorized', 'sign in first');
  const body = await readJson(request);
  if (!body.ok) return body.response;
  try {
    return NextResponse.json(await runtime().lab.replayHistory(body.body));
  } catch (err) {
    return toErrorResponse(err);
  }
});

/** The running replay's progress, and `?rig=`'s last report (null when it was not replayed since the server started). */
export const GET = route(async (request: Request) => {
  const rig = new URL(request.url).searchParams.get('rig');
  return NextResponse.json(runtime().lab.history(rig));
});
