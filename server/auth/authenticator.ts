/**
 * Who is asking, from a request's headers: a bearer token (scripts, the CLI, Prometheus)
 * or a session cookie (browsers). Sessions are stateless: the cookie carries its role,
 * name and expiry, signed with HMAC-SHA256 under the town's session secret, and bound to
 * the token that opened it (a changed token ends the sessions it opened). Browsers also
 * prove each write with a CSRF token derived from their session (synchronizer token:
 * served by /api/auth/session, which another site cannot read).
 *
 * Session expiry is wall-clock time on purpose: a login does not age faster with the
 * engine's GT_TIME_SCALE.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor, Role } from '../commands/command';
import { claimsForwarded, verifyForwarded, type ForwardedHeaders } from '../cluster/forwarded-identity';
import type { Credentials } from './credentials';

export interface Session {
  sid: string;
  role: Role;
  name: string;
  /** Wall-clock ms. */
  exp: number;
  /** Fingerprint of the token that opened it. */
  cred: string;
}

export interface Identity {
  actor: Actor;
  /** `cluster`: a request another node of the town forwarded for this caller (cluster/forwarded-identity.ts). */
  via: 'bearer' | 'session' | 'open' | 'cluster';
  session: Session | null;
}

export interface HeaderSource {
  cookie?: string | null;
  authorization?: string | null;
  /** `x-gt-actor`: the name a token-holding script acts under (audit), e.g. "ada (cron)". */
  actorName?: string | null;
  /** The forwarding headers, when the request came through another node. */
  forwarded?: ForwardedHeaders;
}

export const SESSION_TTL_MS = 30 * 24 * 3_600_000;
const NAME = /^[\p{L}\p{N} ._@()-]{1,40}$/u;

/** A person's (or script's) chosen name, or the role's when it is missing or unusable. */
export function actorName(name: string | null | undefined, role: Role): string {
  const trimmed = name?.trim();
  return trimmed && NAME.test(trimmed) ? trimmed : role;
}

/**
 * A Cookie header's name -> value pairs. Other apps on the same host share the header
 * (cookies are per host, not per port): a foreign value with a bad %-escape (`other=100%`)
 * is kept as it is rather than failing the request.
 */
export function parseCookies(header: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    if (key && !(key in out)) out[key] = decodeCookieValue(part.slice(eq + 1).trim());
  }
  return out;
}

function decodeCookieValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function sameString(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export class Authenticator {
  /** Includes a fingerprint of the secret: two towns on one host keep separate sessions. */
  readonly cookieName: string;
  readonly mode: 'on' | 'off';

  constructor(
    private readonly credentials: Credentials,
    private readonly now: () => number = Date.now,
    readonly sessionTtlMs = SESSION_TTL_MS,
  ) {
    this.mode = credentials.mode;
    this.cookieName = `gt_session_${this.sign('cookie-name')
      .slice(0, 8)
      .replace(/[^A-Za-z0-9]/g, 'x')}`;
  }

  private sign(data: string): string {
    return createHmac('sha256', this.credentials.sessionSecret).update(data).digest('base64url');
  }

  private fingerprint(role: Role): string {
    const tok = role === 'operator' ? this.credentials.operatorToken : this.credentials.viewerToken;
    return this.sign(`cred:${role}:${tok}`).slice(0, 16);
  }

  /** The role a token grants, or null. */
  roleForToken(token: string | null | undefined): Role | null {
    if (!token) return null;
    if (sameString(token, this.credentials.operatorToken)) return 'operator';
    if (sameString(token, this.credentials.viewerToken)) return 'viewer';
    return null;
  }

  /** A signed cookie value for a new session. */
  issue(role: Role, name: string): { value: string; session: Session } {
    const session: Session = {
      sid: randomBytes(12).toString('base64url'),
      role,
      name: actorName(name, role),
      exp: this.now() + this.sessionTtlMs,
      cred: this.fingerprint(role),
    };
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return { value: `${payload}.${this.sign(payload)}`, session };
  }

  /** The session a cookie value carries, if it is genuine, unexpired and its token unchanged. */
  readSession(value: string | null | undefined): Session | null {
    if (!value) return null;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return null;
    const payload = value.slice(0, dot);
    if (!sameString(value.slice(dot + 1), this.sign(payload))) return null;
    let session: Session;
    try {
      session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Session;
    } catch {
      return null;
    }
    if (session.role !== 'operator' && session.role !== 'viewer') return null;
    if (!(session.exp > this.now())) return null;
    if (session.cred !== this.fingerprint(session.role)) return null;
    return session;
  }

  csrfTokenFor(session: Session): string {
    return this.sign(`csrf:${session.sid}`);
  }

  csrfValid(session: Session, header: string | null | undefined): boolean {
    return typeof header === 'string' && header.length > 0 && sameString(header, this.csrfTokenFor(session));
  }

  /**
   * Who the headers belong to: a forwarded request's signed caller, else a bearer token first (it carries no ambient authority, so
   * no CSRF token is needed), then the session cookie; with GT_AUTH=off, the local operator.
   */
  authenticate(headers: HeaderSource): Identity | null {
    // A request that says it was forwarded is the caller it names, or nobody (never the token's holder).
    if (claimsForwarded(headers.forwarded)) {
      const forwarded = verifyForwarded(this.credentials.clusterSecret, headers.forwarded!);
      if (!forwarded) return null;
      const { role, name } = forwarded.actor;
      return { actor: { name: actorName(name, role), role }, via: 'cluster', session: null };
    }
    const auth = headers.authorization ?? '';
    if (auth.toLowerCase().startsWith('bearer ')) {
      const role = this.roleForToken(auth.slice(7).trim());
      if (role) return { actor: { name: actorName(headers.actorName, role), role }, via: 'bearer', session: null };
      if (this.mode === 'on') return null;
    }
    const session = this.readSession(parseCookies(headers.cookie)[this.cookieName]);
    if (session) return { actor: { name: session.name, role: session.role }, via: 'session', session };
    if (this.mode === 'off') return { actor: { name: 'local-operator', role: 'operator' }, via: 'open', session: null };
    return null;
  }

  /** Set-Cookie value for a session (HttpOnly; SameSite=Lax so links from chat or Grafana land signed in). */
  sessionCookie(value: string, secure: boolean): string {
    return [
      `${this.cookieName}=${value}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      `Max-Age=${Math.floor(this.sessionTtlMs / 1000)}`,
      ...(secure ? ['Secure'] : []),
    ].join('; ');
  }

  clearCookie(): string {
    return `${this.cookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
  }
}
