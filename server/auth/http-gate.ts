/**
 * The gate every HTTP request passes before the pages and the JSON API (the custom
 * server calls it first). It
 *   - signs browsers in: `GET <any page>?token=...` (the URL the server prints at start)
 *     and `POST /api/auth/login` (the /login page's form) set the session cookie;
 *     `POST /api/auth/logout` clears it; `GET /api/auth/session` says who you are and
 *     hands the page its CSRF token;
 *   - refuses the unauthenticated: pages redirect to /login, the API answers 401;
 *   - guards writes: a cross-origin write is refused; a browser (cookie) write needs its
 *     session's CSRF token in `x-gt-csrf`; a viewer cannot write at all (403).
 * Route handlers then ask the same Authenticator who the actor is (lib/api.ts actorFor),
 * and the CommandBus checks the role again and audits refusals.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator, Identity } from './authenticator';

export interface AuthGateOptions {
  auth: Authenticator;
  /** GT_METRICS_PUBLIC=1: /metrics answers without a token (a trusted network's Prometheus). */
  metricsPublic?: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PUBLIC_PREFIXES = ['/_next/', '/login', '/api/health', '/favicon.ico', '/icon', '/robots.txt'];
const MAX_LOGIN_BODY = 4_096;
export const CSRF_HEADER = 'x-gt-csrf';

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...headers });
  res.end();
}

const header = (req: IncomingMessage, name: string): string | null => {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
};

/** Same origin: no Origin header (not a browser, or a same-origin GET), or one naming this host. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = header(req, 'origin');
  if (origin === null) return true;
  try {
    return new URL(origin).host === header(req, 'host');
  } catch {
    return false;
  }
}

/** A relative path on this server to return to after sign-in (never another site). */
export function safeNext(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

function isSecure(req: IncomingMessage): boolean {
  return header(req, 'x-forwarded-proto') === 'https' || ('encrypted' in req.socket && Boolean(req.socket.encrypted));
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_LOGIN_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function identify(auth: Authenticator, req: IncomingMessage): Identity | null {
  return auth.authenticate({
    cookie: header(req, 'cookie'),
    authorization: header(req, 'authorization'),
    actorName: header(req, 'x-gt-actor'),
  });
}

/** Returns a function that answers the request itself (true) or lets it through to Next (false). */
export function createAuthGate(options: AuthGateOptions) {
  const { auth } = options;

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = (header(req, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded');
    if (!sameOrigin(req)) return refuse(res, 403, 'forbidden', 'cross-origin sign-in refused');
    const raw = await readBody(req);
    let fields: Record<string, unknown> = {};
    try {
      fields =
        raw === null
          ? {}
          : form
            ? Object.fromEntries(new URLSearchParams(raw))
            : raw
              ? (JSON.parse(raw) as Record<string, unknown>)
              : {};
    } catch {
      return refuse(res, 400, 'invalid', 'request body must be JSON');
    }
    const role = auth.roleForToken(typeof fields.token === 'string' ? fields.token.trim() : null);
    const next = safeNext(typeof fields.next === 'string' ? fields.next : '/');
    if (!role) {
      if (form) return redirect(res, `/login?error=invalid&next=${encodeURIComponent(next)}`);
      return refuse(res, 401, 'unauthorized', 'that token is not valid for this town');
    }
    const { value, session } = auth.issue(role, typeof fields.name === 'string' ? fields.name : role);
    const cookie = auth.sessionCookie(value, isSecure(req));
    if (form) return redirect(res, next, { 'set-cookie': cookie });
    sendJson(res, 200, { role, name: session.name, csrfToken: auth.csrfTokenFor(session) }, { 'set-cookie': cookie });
  }

  return async function gate(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://gastown.invalid');
    const path = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();

    if (path === '/api/auth/login' && method === 'POST') {
      await login(req, res);
      return true;
    }
    if (path === '/api/auth/logout' && method === 'POST') {
      if (!sameOrigin(req)) refuse(res, 403, 'forbidden', 'cross-origin request refused');
      else sendJson(res, 200, { ok: true }, { 'set-cookie': auth.clearCookie() });
      return true;
    }
    if (path === '/api/auth/session') {
      const who = identify(auth, req);
      sendJson(res, 200, {
        authenticated: who !== null,
        authMode: auth.mode,
        role: who?.actor.role ?? null,
        name: who?.actor.name ?? null,
        via: who?.via ?? null,
        csrfToken: who?.session ? auth.csrfTokenFor(who.session) : null,
      });
      return true;
    }

    // The printed sign-in URL: any page with ?token= sets the cookie and drops the token from the address bar.
    const token = url.searchParams.get('token');
    if (token !== null && SAFE_METHODS.has(method) && !path.startsWith('/api/')) {
      const role = auth.roleForToken(token);
      url.searchParams.delete('token');
      const name = url.searchParams.get('name');
      url.searchParams.delete('name');
      const target = safeNext(url.pathname + url.search);
      if (!role) {
        redirect(res, `/login?error=invalid&next=${encodeURIComponent(target)}`);
        return true;
      }
      const { value } = auth.issue(role, name ?? role);
      redirect(res, target, { 'set-cookie': auth.sessionCookie(value, isSecure(req)) });
      return true;
    }

    if (PUBLIC_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))) {
      return false;
    }
    if (path === '/metrics' && options.metricsPublic) return false;

    const who = identify(auth, req);
    const api = path.startsWith('/api/') || path === '/metrics';
    if (!who) {
      if (api)
        refuse(
          res,
          401,
          'unauthorized',
          'sign in: send Authorization: Bearer <token>, or open the sign-in URL the server printed',
        );
      else redirect(res, `/login?next=${encodeURIComponent(safeNext(url.pathname + url.search))}`);
      return true;
    }

    if (!SAFE_METHODS.has(method)) {
      if (!sameOrigin(req)) {
        refuse(res, 403, 'forbidden', 'cross-origin request refused');
        return true;
      }
      if (who.via === 'session' && !auth.csrfValid(who.session!, header(req, CSRF_HEADER))) {
        refuse(res, 403, 'csrf', `missing or invalid CSRF token: send the ${CSRF_HEADER} header from /api/auth/session`);
        return true;
      }
      if (who.actor.role !== 'operator') {
        refuse(res, 403, 'forbidden', `${who.actor.name} is a viewer: viewers can see, operators act`);
        return true;
      }
    }

    // A browser signed in by a bearer header (a proxy, a test harness) also gets the cookie its socket needs.
    if (who.via === 'bearer' && !api && method === 'GET') {
      const { value } = auth.issue(who.actor.role, who.actor.name);
      res.setHeader('set-cookie', auth.sessionCookie(value, isSecure(req)));
    }
    return false;
  };
}
