import { readJson, runCommand, route } from '@/lib/api';

/**
 * Every operator action by name (`rig.park`, `polecat.restart`, `escalation.ack`, ...):
 * the body is the command's input. The list is at GET /api/commands.
 */
export const POST = route(async (request: Request, { params }: { params: Promise<{ name: string }> }) => {
  const { name } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, name, body.body);
});
