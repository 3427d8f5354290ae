import { NextResponse } from 'next/server';
import { errorResponse, readOnOwner, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** A convoy: beads, progress, the wave plan with each wave's state and rework, and its Mermaid diagram. */
export const GET = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const { queries } = runtime();
  // In a cluster: answered by the node that runs its rigs, which holds it live (its gates, its suggestion).
  const forwarded = await readOnOwner(request, () => queries.recordRig('convoy', id));
  if (forwarded) return forwarded;
  const view = await queries.convoy(id);
  return view ? NextResponse.json(view) : errorResponse('not_found', `convoy '${id}' does not exist`);
});
