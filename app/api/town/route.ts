import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { actorFor, errorResponse, isForwarded, route } from '@/lib/api';

export const dynamic = 'force-dynamic';

/**
 * The town at a glance: rigs, polecats, queue depths and totals. In a cluster, every node's
 * rigs, and the ones no node answered for under `unavailableRigs` (docs/cluster.md).
 */
export const GET = route(async (request: Request) => {
  const actor = actorFor(request);
  if (!actor) return errorResponse('unauthorized', 'sign in first');
  return NextResponse.json(await runtime().townReads.overview(actor, isForwarded(request)));
});
