import { readJson, runCommand, withParam } from '@/lib/api';

/** Silences one alert (its rule and labels): `{ reason, durationMs }`. */
export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'alert.silence', withParam(body.body, 'alertId', id), 201);
}
