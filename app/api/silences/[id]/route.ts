import { runCommand, route } from '@/lib/api';

/** Ends a silence now. */
export const DELETE = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  return runCommand(request, 'silence.expire', { id });
});
