import { readJson, runCommand, withParam, route } from '@/lib/api';

/** Changes a rule: any of `{ name, description, severity, scope, conditions, match, forMs, keepFiringForMs, enabled, inhibits }`. */
export const PATCH = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'alert.rule.update', withParam(body.body, 'id', id));
});

/** Deletes an operator's rule (a default rule is disabled instead: PATCH `{ enabled: false }`). */
export const DELETE = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  return runCommand(request, 'alert.rule.delete', { id });
});
