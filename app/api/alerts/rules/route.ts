import { NextResponse } from 'next/server';
import { readJson, runCommand, toErrorResponse, route } from '@/lib/api';
import { monitoring } from '@/lib/monitoring';

export const dynamic = 'force-dynamic';

/** Every alert rule: the seed's defaults (builtin) and the operators' own. */
export const GET = route(() => {
  try {
    return NextResponse.json(monitoring().alerts.listRules());
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
