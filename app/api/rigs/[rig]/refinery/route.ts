import { readJson, runCommand, withParam, route } from '@/lib/api';

/**
 * Changes the Refinery's settings: `{ mergeMode?, batchSize?, checks?, maxAttempts? }`. The
 * old name `gates` is still accepted for `checks` (the answer then lists `deprecations`).
 */
export const PATCH = route(async (request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'refinery.configure', withParam(body.body, 'rig', rig));
});
