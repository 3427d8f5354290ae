import { runCommand } from '@/lib/api';

/** Puts the seed's default rules back as they were; the operators' own rules stay. */
export async function POST(request: Request) {
  return runCommand(request, 'alert.rules.reset', {});
}
