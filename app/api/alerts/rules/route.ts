import { NextResponse } from 'next/server';
import { errorResponse, readJson, runCommand, toErrorResponse, route } from '@/lib/api';
import { monitoring } from '@/lib/monitoring';

export const dynamic = 'force-dynamic';

const FORMATS = ['json', 'prometheus'] as const;

/**
 * Every alert rule: the seed's defaults (builtin) and the operators' own. `?format=prometheus`:
 * the enabled ones as a Prometheus rule file (YAML) over the /metrics names (docs/alerts.md).
 */
export const GET = route((request: Request) => {
  try {
    const asked = new URL(request.url).searchParams.getAll('format');
    if (asked.length > 1) return errorResponse('invalid', 'format: give it once');
    const format = asked[0] ?? 'json';
    if (!(FORMATS as readonly string[]).includes(format))
      return errorResponse('invalid', `format: one of ${FORMATS.join(', ')} (not '${format.slice(0, 40)}')`);
    const m = monitoring();
    if (format === 'json') return NextResponse.json(m.alerts.listRules());
    return new Response(m.prometheusRules(), {
      headers: { 'content-type': 'application/yaml; charset=utf-8', 'cache-control': 'no-store' },
    });
  } catch (err) {
    return toErrorResponse(err);
  }
});

/** Adds a rule: `{ id, name, severity, scope, conditions: [{ metric, op, threshold }], forMs, ... }`. */
export const POST = route(async (request: Request) => {
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'alert.rule.create', body.body, 201);
});
