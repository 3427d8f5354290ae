import { runCommand, route } from '@/lib/api';

/** Puts the seed's default rules back as they were; the operators' own rules stay. */
export const POST = route(async (request: Request) => {
  return runCommand(request, 'alert.rules.reset', {});
});
