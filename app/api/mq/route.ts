import { NextResponse } from 'next/server';
import { actorFor, errorResponse, isForwarded, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/**
 * The merge queue in landing order, across all rigs or for `?rig=`. `pending` are waiting
 * for the Refinery, `in_flight` are being merged (the seed reads `.pending | length`). In a
 * cluster, all rigs are every node's (`?rig=` of another node's rig is relayed to it).
 */
export const GET = route(async (request: Request) => {
  const rig = new URL(request.url).searchParams.get('rig') ?? undefined;
  const rt = runtime();
  if (rig !== undefined && !rt.town.rigs.get(rig)) return errorResponse('not_found', `rig '${rig}' does not exist`);
  const actor = actorFor(request);
  if (!actor) return errorResponse('unauthorized', 'sign in first');
  return NextResponse.json(await rt.townReads.mergeQueue(actor, isForwarded(request), rig));
});
