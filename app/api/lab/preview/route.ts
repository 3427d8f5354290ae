import { NextResponse } from 'next/server';
import { actorFor, errorResponse, readJson, toErrorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/**
 * Previews an operator's lever on a live rig before it is pulled:
 * `{ rig, change: { kind: 'scale', workers } | { kind: 'stagger', convoy, waveSize } |
 * { kind: 'split', partitions: [{ name, globs }] } }`. Runs the calibrated what-if with and
 * without the change; changes nothing in the town.
 */
export const POST = route(async (request: Request) => {
  if (!actorFor(request)) return errorResponse('unauthorized', 'sign in first');
  const body = await readJson(request);
  if (!body.ok) return body.response;
  try {
    return NextResponse.json(await runtime().lab.preview(body.body));
  } catch (err) {
    return toErrorResponse(err);
  }
});
