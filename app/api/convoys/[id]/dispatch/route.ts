import { readJson, runCommand, withParam, route } from '@/lib/api';

/** Dispatches a held convoy: `{ waveSize: null | N | 'auto' }`. */
export const POST = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'convoy.dispatch', withParam(body.body, 'id', id));
});
