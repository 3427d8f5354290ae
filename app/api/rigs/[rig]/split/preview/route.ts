import { NextResponse } from 'next/server';
import { readJson, toErrorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** The dry run of a split (same body as `POST split`): the plan and before/after diagrams; changes nothing. */
export const POST = route(async (request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  try {
    return NextResponse.json(await runtime().queries.splitPreview(rig, body.body));
  } catch (err) {
    return toErrorResponse(err);
  }
});
