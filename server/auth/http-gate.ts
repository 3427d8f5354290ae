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
import { claimsForwarded, forwardedHeaders } from '../cluster/forwarded-identity';
import { isSecure } from '../http/boundary';
import { FailureLimiter } from '../http/rate-limit';
import { refuse, sendJson } from '../http/respond';
import type { Authenticator, Identity } from './authenticator';

export interface AuthGateOptions {
  auth: Authenticator;
  /** GT_METRICS_PUBLIC=1: /metrics answers without a token (a trusted network's Prometheus). */
  metricsPublic?: boolean;
  /** Counts failed sign-ins and bad tokens per client address (429 past its bound). */
  limiter?: FailureLimiter;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PUBLIC_PREFIXES = [
  '/_next/',
  '/login',
  '/api/health',
  '/favicon.ico',
  '/icon',
  '/icon.svg',
  '/apple-icon.png',
  '/robots.txt',
];
const MAX_LOGIN_BODY = 4_096;
export const CSRF_HEADER = 'x-gt-csrf';

function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...headers });
  res.end();
}

const header = (req: IncomingMessage, name: string): string | null => {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
};

/**
 * Same origin: no Origin header (not a browser, or a same-origin GET), or one naming this
 * server's scheme, host and port (`https://127.0.0.1:3500` is another origin than the
 * http server on 127.0.0.1:3500). The scheme is https behind TLS or a proxy that says so.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = header(req, 'origin');
  if (origin === null) return true;
  try {
    const own = new URL(`${isSecure(req) ? 'https' : 'http'}://${header(req, 'host') ?? ''}`);
    return new URL(origin).origin === own.origin;
  } catch {
    return false;
  }
}

/** A relative path on this server to return to after sign-in (never another site). */
export function safeNext(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
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
    forwarded: forwardedHeaders((name) => header(req, name)),
  });
}

/** Returns a function that answers the request itself (true) or lets it through to Next (false). */
export function createAuthGate(options: AuthGateOptions) {
  const { auth } = options;
  const limiter = options.limiter ?? new FailureLimiter();
  const addressOf = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown';

  /** Refuses (429) an address past its failure bound; true when it did. */
  function limited(req: IncomingMessage, res: ServerResponse): boolean {
    const wait = limiter.retryAfter(addressOf(req));
    if (wait === 0) return false;
    refuse(res, 429, 'rate_limited', `too many failed sign-ins or bad tokens from this address: try again in ${wait} s`, {
      'retry-after': String(wait),
    });
    return true;
  }

  /** A bearer token was presented (the CLI, scripts): it is a guess until it matches. */
  const presentsBearer = (req: IncomingMessage) => (header(req, 'authorization') ?? '').toLowerCase().startsWith('bearer ');

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = (header(req, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded');
    if (!sameOrigin(req)) return refuse(res, 403, 'forbidden', 'cross-origin sign-in refused');
    if (limited(req, res)) return;
    const raw = await readBody(req);
    let parsed: unknown = {};
    try {
      parsed = raw === null ? {} : form ? Object.fromEntries(new URLSearchParams(raw)) : raw ? JSON.parse(raw) : {};
    } catch {
      return refuse(res, 400, 'invalid', 'request body must be JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return refuse(res, 400, 'invalid', 'request body must be a JSON object: { "token": "..." }');
    }
    const fields = parsed as Record<string, unknown>;
    const role = auth.roleForToken(typeof fields.token === 'string' ? fields.token.trim() : null);
    const next = safeNext(typeof fields.next === 'string' ? fields.next : '/');
    if (!role) {
      limiter.fail(addressOf(req));
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
      if (presentsBearer(req) && limited(req, res)) return true;
      const who = identify(auth, req);
      if (presentsBearer(req) && auth.mode === 'on' && who?.via !== 'bearer') limiter.fail(addressOf(req));
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
      if (limited(req, res)) return true;
      const role = auth.roleForToken(token);
      url.searchParams.delete('token');
      const name = url.searchParams.get('name');
      url.searchParams.delete('name');
      const target = safeNext(url.pathname + url.search);
      if (!role) {
        limiter.fail(addressOf(req));
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

    const bearer = presentsBearer(req);
    if (bearer && limited(req, res)) return true;
    const who = identify(auth, req);
    // Forwarding headers without a valid signature make the request nobody's, whatever token it
    // also carries. Not counted as a failed sign-in: an HMAC is not guessed by retrying, and a node
    // with a mismatched secret must not lock out the people behind its address.
    if (!who && claimsForwarded(forwardedHeaders((name) => header(req, name)))) {
      refuse(res, 401, 'unauthorized', 'a forwarded request must be signed with the cluster secret (GT_CLUSTER_SECRET)');
      return true;
    }
    if (bearer && auth.mode === 'on' && who?.via !== 'bearer') limiter.fail(addressOf(req));
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
