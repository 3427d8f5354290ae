import { readJson, runCommand, route } from '@/lib/api';

/**
 * Adds a rig from a git URL: `{ name, url, branch?, local?, polecats? }` (command
 * `rig.add`). Answers the rig once its clone is attached (201); a failed clone is a 4xx
 * with git's reason and leaves nothing behind. Progress meanwhile: `rig.clone_progress`
 * events on the `town` stream, or GET /api/rigs/clones.
 */
export const POST = route(async (request: Request) => {
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'rig.add', body.body, 201);
});
