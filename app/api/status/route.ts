import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** The town, its rigs and agents, the Deacon (`.deacon.last_patrol_duration`, seconds) and a summary. */
export function GET() {
  return NextResponse.json(runtime().queries.status());
}
