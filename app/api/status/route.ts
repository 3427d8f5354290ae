import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

/** The town, its rigs and agents, the Deacon (`.deacon.last_patrol_duration`, seconds) and a summary. */
export const GET = route(() => {
  return NextResponse.json(runtime().queries.status());
});
