import { NextResponse } from 'next/server';
import { z } from 'zod';
import { line } from '@/contracts/text';
import { toErrorResponse, route } from '@/lib/api';
import { monitoring } from '@/lib/monitoring';
import { commaList, Duration, Limit, parseQuery } from '@/lib/query-params';

export const dynamic = 'force-dynamic';

const Query = z.strictObject({
  state: commaList(z.enum(['pending', 'firing', 'resolved'])).optional(),
  rule: line({ max: 60 }).optional(),
  rig: line({ max: 60 }).optional(),
  since: Duration.optional(),
  limit: Limit,
});

/**
 * Alerts, newest first: the ones in play and the history (`?state=resolved&since=24h`,
 * `?rule=merge-queue-backlog&rig=myproject`). Each with its timestamps, who acknowledged
 * it, what silences or inhibits it, and its recommended actions.
 */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  const { state, rule, rig, since, limit } = parsed.data;
  try {
    const m = monitoring();
    const alerts = await m.alerts.listAlerts({
      states: state,
      ruleId: rule,
      rig,
      limit,
      since: since === undefined ? undefined : m.clock.now() - since,
    });
    return NextResponse.json(alerts);
  } catch (err) {
    return toErrorResponse(err);
  }
});
