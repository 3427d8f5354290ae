import { runCommand, route } from '@/lib/api';

/** Merges a split rig's partitions back into it (the rig, or any of its partitions, may be named). */
export const POST = route(async (request: Request, { params }: { params: Promise<{ rig: string }> }) => {
  const { rig } = await params;
  return runCommand(request, 'rig.merge', { rig });
});
