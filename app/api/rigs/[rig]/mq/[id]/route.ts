import { NextResponse } from 'next/server';
import { errorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** One merge request of a rig (queued or history) with every step of its last validation. */
export const GET = route(async (_request: Request, { params }: { params: Promise<{ rig: string; id: string }> }) => {
  const { rig, id } = await params;
  const detail = await runtime().queries.mergeRequest(rig, id);
  return detail ? NextResponse.json(detail) : errorResponse('not_found', `merge request '${id}' of rig '${rig}' does not exist`);
});
