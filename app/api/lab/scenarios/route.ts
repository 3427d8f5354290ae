import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

/** The built-in scenarios: the seed's claims, each with its variants and the seed's figures. */
export const GET = route(() => {
  return NextResponse.json({ scenarios: runtime().lab.scenarios() });
});
