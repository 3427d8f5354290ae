import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

export const GET = route(() => {
  const rt = runtime();
  const failedWrites = rt.town.ctx.persistence.failedWrites;
  return NextResponse.json({ ok: failedWrites === 0, failedWrites, timeScale: rt.config.timeScale, now: rt.town.clock.now() });
});
