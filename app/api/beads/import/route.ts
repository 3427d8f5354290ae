import { readJson, runCommand, route } from '@/lib/api';
import { MAX_IMPORT_BODY_BYTES } from '@/server/http/limits';

/**
 * Imports beads: `{ jsonl, rig? }`, the text of a `.beads/issues.jsonl` file (command
 * `bead.import`). Answers `{ created, updated, unchanged, unresolvedDependencies }`; a
 * malformed line is a 400 naming it, and nothing is imported.
 */
export const POST = route(async (request: Request) => {
  const body = await readJson(request, MAX_IMPORT_BODY_BYTES);
  if (!body.ok) return body.response;
  return runCommand(request, 'bead.import', body.body);
});
