import { NextResponse } from 'next/server';
import { toErrorResponse, route } from '@/lib/api';
import { monitoring } from '@/lib/monitoring';

export const dynamic = 'force-dynamic';

/** What the banners show: pending and firing alerts (most severe first) and the silences in force. */
export const GET = route(() => {
  try {
    return NextResponse.json(monitoring().alerts.activeView());
  } catch (err) {
    return toErrorResponse(err);
  }
});
