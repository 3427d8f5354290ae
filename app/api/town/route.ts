import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

/** The town at a glance: rigs, polecats, queue depths and totals. */
export const GET = route(() => {
  return NextResponse.json(runtime().queries.overview());
});
