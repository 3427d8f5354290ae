import { errorResponse, route } from '@/lib/api';

export const dynamic = 'force-dynamic';

/**
 * Any /api path no route file claims: a JSON 404 like every other API error, not Next's
 * HTML page (scripts and the CLI read `{ error: { code, message } }`).
 */
function notFound(request: Request) {
  return errorResponse('not_found', `no API route ${request.method} ${new URL(request.url).pathname}`);
}

export const GET = route(notFound);
export const POST = route(notFound);
export const PUT = route(notFound);
export const PATCH = route(notFound);
export const DELETE = route(notFound);
