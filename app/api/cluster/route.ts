import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

/** The nodes, alive or not, the rigs each owns by lease, and the leases' epochs (docs/cluster.md). */
export const GET = route(async () => {
  return NextResponse.json(await runtime().queries.cluster());
});
