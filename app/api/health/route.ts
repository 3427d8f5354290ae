import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

export function GET() {
  const rt = runtime();
  const failedWrites = rt.town.failedWrites;
  return NextResponse.json({ ok: failedWrites === 0, failedWrites, timeScale: rt.config.timeScale, now: rt.town.clock.now() });
}
