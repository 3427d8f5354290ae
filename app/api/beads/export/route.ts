import { z } from 'zod';
import { route } from '@/lib/api';
import { FilterText, parseQuery } from '@/lib/query-params';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

const ExportQuery = z.strictObject({ rig: FilterText.optional() });

/** Every bead (`?rig=` one rig's), in play and history, as `issues.jsonl` (the beads interchange format). */
export const GET = route(async (request: Request) => {
  const parsed = parseQuery(ExportQuery, request);
  if (!parsed.ok) return parsed.response;
  const body = await runtime().queries.beadsExport(parsed.data.rig);
  return new Response(body, { headers: { 'content-type': 'application/x-ndjson; charset=utf-8' } });
});
