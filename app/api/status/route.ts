import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { actorFor, errorResponse, isForwarded, route } from '@/lib/api';

export const dynamic = 'force-dynamic';

/**
 * The town, its rigs and agents, the Deacon (`.deacon.last_patrol_duration`, seconds) and a
 * summary. In a cluster, every node's rigs, each with its `node` (docs/cluster.md).
 */
export const GET = route(async (request: Request) => {
  const actor = actorFor(request);
  if (!actor) return errorResponse('unauthorized', 'sign in first');
  return NextResponse.json(await runtime().townReads.status(actor, isForwarded(request)));
});
