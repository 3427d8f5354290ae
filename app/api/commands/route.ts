import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

/** The catalogue of operator actions: name, summary and the role each needs. */
export const GET = route(() => {
  return NextResponse.json(runtime().commands.list());
});
