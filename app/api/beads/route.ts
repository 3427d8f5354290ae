import { NextResponse } from 'next/server';
import { z } from 'zod';
import { line } from '@/contracts/text';
import { readJson, runCommand } from '@/lib/api';
import { Duration, Limit, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

const STATUSES = ['open', 'hooked', 'in_progress', 'blocked', 'done', 'closed'] as const;

const ListQuery = z.strictObject({
  status: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(z.enum(STATUSES)))
    .optional(),
  since: Duration.optional(),
  rig: line({ max: 40 }).optional(),
  limit: Limit,
});

/** Beads, newest first: `?status=done&since=1h&rig=myproject&limit=100`. */
export async function GET(request: Request) {
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
}

/** Creates a bead: `{ rig, title, description?, priority?, labels?, dependsOn?, paths? }`. */
export async function POST(request: Request) {
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'bead.create', body.body, 201);
}
