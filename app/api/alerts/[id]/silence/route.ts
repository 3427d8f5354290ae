import { readJson, runCommand, withParam, route } from '@/lib/api';

/** Silences one alert (its rule and labels): `{ reason, durationMs }`. */
export const POST = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'alert.silence', withParam(body.body, 'alertId', id), 201);
});
