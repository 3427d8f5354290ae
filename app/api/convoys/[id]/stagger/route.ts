import { readJson, runCommand, withParam, route } from '@/lib/api';

/** Re-plans the convoy's undispatched beads into waves: `{ waveSize: N | 'auto' }`. */
export const POST = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'convoy.stagger', withParam(body.body, 'id', id));
});
