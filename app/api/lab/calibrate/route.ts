import { NextResponse } from 'next/server';
import { errorResponse, toErrorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** What-if parameters calibrated from a live rig's recorded history: `?rig=`. */
export const GET = route(async (request: Request) => {
  const rig = new URL(request.url).searchParams.get('rig');
  if (!rig) return errorResponse('invalid', 'name a rig: ?rig=<name>');
  try {
    return NextResponse.json(await runtime().lab.calibrate(rig));
  } catch (err) {
    return toErrorResponse(err);
  }
});
