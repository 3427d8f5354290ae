import { NextResponse } from 'next/server';
import { errorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** A convoy: beads, progress, the wave plan with each wave's state and rework, and its Mermaid diagram. */
export const GET = route(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const view = await runtime().queries.convoy(id);
  return view ? NextResponse.json(view) : errorResponse('not_found', `convoy '${id}' does not exist`);
});
