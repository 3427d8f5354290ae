import { readJson, runCommand, withParam } from '@/lib/api';

/** Dispatches a held convoy: `{ waveSize: null | N | 'auto' }`. */
export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'convoy.dispatch', withParam(body.body, 'id', id));
}
