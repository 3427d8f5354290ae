import { NextResponse } from 'next/server';
import { errorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

export const GET = route(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const bead = await runtime().queries.bead(id);
  return bead ? NextResponse.json(bead) : errorResponse('not_found', `bead '${id}' does not exist`);
});
