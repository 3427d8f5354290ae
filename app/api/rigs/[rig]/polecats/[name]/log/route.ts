import { NextResponse } from 'next/server';
import { errorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';
import { agentLogRoot, polecatAgentDir, readLogTail } from '@/server/agents/agent-log';

export const dynamic = 'force-dynamic';

/** The tail of a polecat's agent log (stdout, stderr and the runtime's own lines). */
export const GET = route(async (_request: Request, { params }: { params: Promise<{ rig: string; name: string }> }) => {
  const { rig, name } = await params;
  const { town, config } = runtime();
  if (!town.polecats.list(rig).some((p) => p.name === name))
    return errorResponse('not_found', `polecat '${rig}/${name}' does not exist`);
  const tail = await readLogTail(polecatAgentDir(agentLogRoot(config.dataDir), rig, name));
  return NextResponse.json({ polecat: `${rig}/${name}`, ...tail });
});
