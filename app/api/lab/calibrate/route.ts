import { NextResponse } from 'next/server';
import { errorResponse, toErrorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/**
 * What-if parameters calibrated from a live rig's recorded history: `?rig=`; with
 * `&from=history` the conflict rate is fitted to its replayed git history instead.
 */
export const GET = route(async (request: Request) => {
  const query = new URL(request.url).searchParams;
  const rig = query.get('rig');
  if (!rig) return errorResponse('invalid', 'name a rig: ?rig=<name>');
  const from = query.get('from') ?? 'events';
  if (from !== 'events' && from !== 'history') return errorResponse('invalid', "from is 'events' or 'history'");
  try {
    return NextResponse.json(await runtime().lab.calibrate(rig, from));
  } catch (err) {
    return toErrorResponse(err);
  }
});
