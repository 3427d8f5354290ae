import { readJson, runCommand, withParam, route } from '@/lib/api';

/**
 * Splits the rig into path partitions: `{ partitions: [{ name, globs }], remainder?,
 * spanning?, polecats? }`. Answers the plan that was applied. Preview first with
 * `POST split/preview`.
 */
export const POST = route(async (request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'rig.split', withParam(body.body, 'rig', rig));
});
