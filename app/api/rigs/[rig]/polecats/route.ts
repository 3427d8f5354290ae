import { readJson, runCommand } from '@/lib/api';

/** Adds polecats to a rig: `{ count }`. */
export async function POST(request: Request, { params }: { params: Promise<{ rig: string }> }) {
  const { rig } = await params;
  const body = await readJson(request);
  if (!body.ok) return body.response;
  const input = typeof body.body === 'object' && body.body !== null ? { ...body.body, rig } : body.body;
  return runCommand(request, 'polecat.add', input, 201);
}
