import { NextResponse } from 'next/server';
import { errorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/**
 * Refinery statistics over the sliding window, for `?rig=` or the whole town: conflict
 * rate with its sample, throughput, time in queue, check failures, queue and workers.
 */
export const GET = route((request: Request) => {
  const rig = new URL(request.url).searchParams.get('rig') ?? undefined;
  const rt = runtime();
  if (rig !== undefined && !rt.town.rigs.get(rig)) return errorResponse('not_found', `rig '${rig}' does not exist`);
  return NextResponse.json(rt.queries.refineryStats(rig));
});
