import { NextResponse } from 'next/server';
import { z } from 'zod';
import { readJson, runCommand, route } from '@/lib/api';
import { commaList, Duration, FilterText, Limit, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

const STATUSES = ['open', 'hooked', 'in_progress', 'blocked', 'done', 'closed'] as const;

const ListQuery = z.strictObject({
  status: commaList(z.enum(STATUSES)).optional(),
  since: Duration.optional(),
  rig: FilterText.optional(),
  limit: Limit,
});

/** Beads, newest first: `?status=done&since=1h&rig=myproject&limit=100`. */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(ListQuery, request);
  if (!parsed.ok) return parsed.response;
  const rt = runtime();
  const { status, since, rig, limit } = parsed.data;
  const beads = await rt.queries.beads({
    status,
    rig,
    limit,
    since: since === undefined ? undefined : rt.town.clock.now() - since,
  });
  return NextResponse.json(beads);
});

/** Creates a bead: `{ rig, title, description?, priority?, labels?, dependsOn?, paths? }`. */
export const POST = route(async (request: Request) => {
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'bead.create', body.body, 201);
});
