import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** The built-in scenarios: the seed's claims, each with its variants and the seed's figures. */
export function GET() {
  return NextResponse.json({ scenarios: runtime().lab.scenarios() });
}
