import { NextResponse } from 'next/server';
import { errorResponse, readJson, runCommand, withParam, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';
import { describeAgent, PRESETS } from '@/server/agents/presets';

export const dynamic = 'force-dynamic';

/** The rig's agent runtime, its concurrency cap and timeout, and the presets on offer. */
export const GET = route(async (_request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig: name } = await params;
  const rig = runtime().town.rigs.get(name);
  if (!rig) return errorResponse('not_found', `rig '${name}' does not exist`);
  const { agent, maxConcurrency, agentTimeoutMs } = rig.settings;
  return NextResponse.json({
    rig: name,
    agent,
    description: describeAgent(agent),
    maxConcurrency,
    timeoutMs: agentTimeoutMs,
    presets: Object.entries(PRESETS).map(([id, p]) => ({ id, label: p.label, argv: p.argv, modelArgs: p.modelArgs })),
  });
});

/** Changes them: `{ agent?: {kind, ...}, maxConcurrency?: N | null, timeoutMs?: ms }` (docs/agents.md). */
export const PATCH = route(async (request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  return runCommand(request, 'agent.configure', withParam(body.body, 'rig', rig));
});
