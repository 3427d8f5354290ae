import { runCommand, route } from '@/lib/api';

/** Acknowledges a firing alert: records who and when. */
export const POST = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  return runCommand(request, 'alert.ack', { id });
});
