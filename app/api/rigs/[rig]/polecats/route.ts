import { readJson, runCommand, withParam, route } from '@/lib/api';

/** Adds polecats to a rig: `{ count }`. */
export const POST = route(async (request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'polecat.add', withParam(body.body, 'rig', rig), 201);
});
