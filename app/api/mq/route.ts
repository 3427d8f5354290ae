import { NextResponse } from 'next/server';
import { errorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/**
 * The merge queue in landing order, across all rigs or for `?rig=`. `pending` are waiting
 * for the Refinery, `in_flight` are being merged (the seed reads `.pending | length`).
 */
export const GET = route((request: Request) => {
  const rig = new URL(request.url).searchParams.get('rig') ?? undefined;
  const rt = runtime();
  if (rig !== undefined && !rt.town.rigs.get(rig)) return errorResponse('not_found', `rig '${rig}' does not exist`);
  const queue = rt.queries.mergeQueue(rig);
  return NextResponse.json({
    pending: queue.filter((mr) => mr.status === 'queued'),
    in_flight: queue.filter((mr) => mr.status === 'merging'),
  });
});
