import { readJson, runCommand, withParam, route } from '@/lib/api';

/** Scales the rig's Refinery: `{ workers }` (1-16). */
export const POST = route(async (request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'refinery.scale', withParam(body.body, 'rig', rig));
});
