import { NextResponse } from 'next/server';
import { toErrorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** Partitions suggested from the files the rig's landed merges, conflicts and open beads touched. */
export const GET = route(async (_request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig } = await params;
  try {
    return NextResponse.json(await runtime().queries.splitSuggestion(rig));
  } catch (err) {
    return toErrorResponse(err);
  }
});
