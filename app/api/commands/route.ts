import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** The catalogue of operator actions: name, summary and the role each needs. */
export function GET() {
  return NextResponse.json(runtime().commands.list());
}
