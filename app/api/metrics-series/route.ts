import { NextResponse } from 'next/server';
import { z } from 'zod';
import { errorResponse, toErrorResponse, route } from '@/lib/api';
import { monitoring } from '@/lib/monitoring';
import { Duration, FilterText, parseQuery } from '@/lib/query-params';
import { METRICS, isMetricName } from '@/contracts/metrics';

export const dynamic = 'force-dynamic';

const Time = z.coerce.number().finite().nonnegative();

const Query = z.strictObject({
  metric: FilterText.optional(),
  rig: FilterText.optional(),
  /** The last `range` (1h, 24h, 30d); or `from`/`to` in engine ms. */
  range: Duration.optional(),
  from: Time.optional(),
  to: Time.optional(),
  maxPoints: z.coerce.number().int().min(1).max(5_000).optional(),
});

/**
 * A metric over a time range, for charts: `?metric=queue_depth&rig=myproject&range=24h`.
 * Raw 10 s points for ranges up to 6 hours within the last day, minute averages (with the
 * minute's maximum) beyond, bucketed to `maxPoints`. Without `metric`: the catalogue.
 */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(Query, request);
  if (!parsed.ok) return parsed.response;
  const { metric, rig, range, from, to, maxPoints } = parsed.data;
  if (metric === undefined) {
    return NextResponse.json(Object.entries(METRICS).map(([name, def]) => ({ name, ...def })));
  }
  if (!isMetricName(metric)) return errorResponse('invalid', `unknown metric '${metric}'`);
  if (rig !== undefined && METRICS[metric].scope !== 'rig') return errorResponse('invalid', `'${metric}' is town-wide; drop rig`);
  try {
    const m = monitoring();
    const now = m.clock.now();
    const end = to ?? now;
    const start = from ?? end - (range ?? 3_600_000);
    if (start >= end) return errorResponse('invalid', 'from must be before to');
    return NextResponse.json(await m.series.query({ metric, series: rig ?? '', from: start, to: end, maxPoints }));
  } catch (err) {
    return toErrorResponse(err);
  }
});
