import { NextResponse } from 'next/server';
import { readJson, runCommand, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** Open convoys and the most recent finished ones, newest first. */
export const GET = route(async () => {
  return NextResponse.json(await runtime().queries.convoys());
});

/** Creates a convoy: `{ title, beads: [{ title, rig?, paths?, ... }], hold? }`. */
export const POST = route(async (request: Request) => {
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'convoy.create', body.body, 201);
});
