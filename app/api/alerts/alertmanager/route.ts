import { NextResponse } from 'next/server';
import { toErrorResponse, route } from '@/lib/api';
import { monitoring } from '@/lib/monitoring';

export const dynamic = 'force-dynamic';

/** The Alertmanagers alerts go to (GT_ALERTMANAGER_URL): whether any is set, the counts and the last deliveries with their errors. */
export const GET = route(() => {
  try {
    const am = monitoring().alertmanager;
    if (!am) return NextResponse.json({ configured: false, stats: null, deliveries: [] });
    return NextResponse.json({ configured: true, stats: am.stats(), deliveries: am.deliveries() });
  } catch (err) {
    return toErrorResponse(err);
  }
});
