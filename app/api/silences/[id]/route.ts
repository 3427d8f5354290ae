import { runCommand } from '@/lib/api';

/** Ends a silence now. */
export async function DELETE(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return runCommand(request, 'silence.expire', { id });
}
