import { monitoring } from '@/lib/monitoring';

export const dynamic = 'force-dynamic';

/**
 * The Prometheus exposition (text format 0.0.4). Needs the viewer (or operator) token as
 * `Authorization: Bearer <token>` unless GT_METRICS_PUBLIC=1; see docs/alerts.md for a
 * scrape config.
 */
export async function GET() {
  try {
    const { contentType, body } = await monitoring().prometheus();
    return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
  } catch {
    return new Response('# monitoring unavailable\n', { status: 503, headers: { 'content-type': 'text/plain' } });
  }
}
