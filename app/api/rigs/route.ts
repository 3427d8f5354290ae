import { NextResponse } from 'next/server';
import { actorFor, errorResponse, isForwarded, readJson, runCommand, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/**
 * Every rig of the town, each as the node that runs it sees it, with that node's name; rigs no
 * node can answer for just now (owner dead, lease lapsed) under `unavailable` (docs/cluster.md).
 */
export const GET = route(async (request: Request) => {
  const actor = actorFor(request);
  if (!actor) return errorResponse('unauthorized', 'sign in first');
  return NextResponse.json(await runtime().townReads.rigs(actor, isForwarded(request)));
});

/**
 * Adds a rig from a git URL: `{ name, url, branch?, local?, polecats? }` (command
 * `rig.add`). Answers the rig once its clone is attached (201); a failed clone is a 4xx
 * with git's reason and leaves nothing behind. Progress meanwhile: `rig.clone_progress`
 * events on the `town` stream, or GET /api/rigs/clones.
 */
export const POST = route(async (request: Request) => {
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'rig.add', body.body, 201);
});
