import { NextResponse } from 'next/server';
import { toErrorResponse, route } from '@/lib/api';
import { monitoring } from '@/lib/monitoring';

export const dynamic = 'force-dynamic';

/** The outgoing webhook: whether one is set (GT_ALERT_WEBHOOK_URL), its counts and its last deliveries with their errors. */
export const GET = route(() => {
  try {
    const webhook = monitoring().webhook;
    if (!webhook) return NextResponse.json({ configured: false, stats: null, deliveries: [] });
    return NextResponse.json({ configured: true, stats: webhook.stats(), deliveries: webhook.deliveries() });
  } catch (err) {
    return toErrorResponse(err);
  }
});
