import { runCommand } from '@/lib/api';

/** Acknowledges a firing alert: records who and when. */
export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return runCommand(request, 'alert.ack', { id });
}
