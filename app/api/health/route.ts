import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

export const GET = route(() => {
  const rt = runtime();
  const { failedWrites, failure } = rt.town.ctx.persistence;
  return NextResponse.json({
    ok: failedWrites === 0 && failure === null,
    failedWrites,
    // Set once a store write failed: the town stopped and refuses commands until a restart.
    stopped: failure && { at: failure.at, reason: rt.town.ctx.persistence.refusal().message },
    timeScale: rt.config.timeScale,
    now: rt.town.clock.now(),
  });
});
