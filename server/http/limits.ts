/**
 * The HTTP boundary's size limits, in one place: the custom server (server/http/body-limit.ts)
 * and lib/api.ts readJson both read them, so no route can accept more than this.
 */

/** Largest JSON request body: every command input fits in a few KB; 1 MB leaves room for big convoys. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * Largest body for imports: POST /api/beads/import (a whole issues.jsonl file) and routes
 * under /api/import (the coming town snapshots). Only those may read past MAX_JSON_BODY_BYTES.
 */
export const MAX_IMPORT_BODY_BYTES = 20 * 1024 * 1024;
export const IMPORT_PREFIX = '/api/import/';
export const IMPORT_ROUTES = ['/api/beads/import'];

/**
 * Deepest JSON nesting accepted: no command input nests past 5 levels. Deeper input is
 * refused before JSON.parse, zod or the audit write see it (100,000 nested `[` would
 * otherwise overflow the stack in JSON.stringify).
 */
export const MAX_JSON_DEPTH = 64;

/** Most values one comma-list filter takes (`?type=a,b,...`): past it the query is a 400. */
export const MAX_FILTER_VALUES = 50;

/** The body limit for a request path. */
export function bodyLimitFor(pathname: string): number {
  return pathname.startsWith(IMPORT_PREFIX) || IMPORT_ROUTES.includes(pathname) ? MAX_IMPORT_BODY_BYTES : MAX_JSON_BODY_BYTES;
}
