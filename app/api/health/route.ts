import { NextResponse } from 'next/server';
import { runtime } from '@/lib/runtime';
import { route } from '@/lib/api';

export const dynamic = 'force-dynamic';

export const GET = route(() => {
  const rt = runtime();
  const { failedWrites, stopped } = rt.town;
  return NextResponse.json({
    ok: failedWrites === 0 && stopped === null,
    failedWrites,
    // Set once a store write failed: the town stopped and refuses commands until a restart.
    stopped: stopped && { at: stopped.at, reason: rt.town.refusal().message },
    timeScale: rt.config.timeScale,
    now: rt.town.clock.now(),
    // `local`, or the Redis link of a cluster: `down` means this node's clients see only its own events (still live).
    streams: rt.streams(),
  });
});
