import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** The town at a glance: rigs, polecats, queue depths and totals. */
export function GET() {
  return NextResponse.json(runtime().queries.overview());
}
