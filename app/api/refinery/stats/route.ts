import { NextResponse } from 'next/server';
import { actorFor, errorResponse, isForwarded, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/**
 * Refinery statistics over the sliding window, for `?rig=` or the whole town: conflict
 * rate with its sample, throughput, time in queue, check failures, queue and workers. In a
 * cluster the whole town is every node's rigs (server/cluster/refinery-merge.ts).
 */
export const GET = route(async (request: Request) => {
  const rig = new URL(request.url).searchParams.get('rig') ?? undefined;
  const rt = runtime();
  if (rig === undefined) {
    const actor = actorFor(request);
    if (!actor) return errorResponse('unauthorized', 'sign in first');
    return NextResponse.json(await rt.townReads.refineryStats(actor, isForwarded(request)));
  }
  if (!rt.town.rigs.get(rig)) return errorResponse('not_found', `rig '${rig}' does not exist`);
  return NextResponse.json(rt.queries.refineryStats(rig));
});
