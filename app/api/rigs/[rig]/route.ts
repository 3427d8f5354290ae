import { NextResponse } from 'next/server';
import { errorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';
import type { RigDetail } from '@/contracts/realtime';

export const dynamic = 'force-dynamic';

/** One rig as its page shows it (the same detail `rig:subscribe` pushes): rig, merge queue, Refinery stats. */
export const GET = route(async (_request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig: name } = await params;
  const { queries, town } = runtime();
  const rig = queries.overview().rigs.find((r) => r.name === name);
  if (!rig) return errorResponse('not_found', `rig '${name}' does not exist`);
  const detail: RigDetail = {
    rig,
    queue: queries.mergeQueue(name),
    stats: queries.refineryStats(name),
    now: town.clock.now(),
    timeScale: town.clock.scale,
  };
  return NextResponse.json(detail);
});
