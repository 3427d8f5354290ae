import { NextResponse } from 'next/server';
import { actorFor, errorResponse, readJson, toErrorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** Runs a built-in scenario on the lab: `{ seed? }`. Changes nothing in the town. */
export const POST = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  if (!actorFor(request)) return errorResponse('unauthorized', 'sign in first');
  const { id } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  try {
    const report = await runtime().lab.runScenario(id, body.body);
    return NextResponse.json(report);
  } catch (err) {
    return toErrorResponse(err);
  }
});
