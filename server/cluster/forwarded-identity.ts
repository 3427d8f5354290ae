/**
 * Who a forwarded request is from (docs/cluster.md, "Forwarding"): a node that does not run a
 * rig relays the request to the owner with the caller's identity in four headers, signed with
 * the cluster secret (GT_CLUSTER_SECRET) that only the town's nodes know. The owner then
 * authorises and audits the request as that caller, not as a node. The headers are also the
 * loop guard: a request that carries them is answered where it lands, never relayed again.
 *
 * The signature is an HMAC over the forwarding node and the caller (role and name): without
 * the secret nobody outside can mint one, and one caller's signature cannot be reused for
 * another caller or role.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../commands/command';

export const FORWARDED_BY = 'x-gt-forwarded-by';
export const FORWARDED_ROLE = 'x-gt-forwarded-role';
export const FORWARDED_ACTOR = 'x-gt-forwarded-actor';
export const FORWARDED_SIGNATURE = 'x-gt-forwarded-signature';

/** The forwarding headers as a request carries them (any of them may be missing or forged). */
export interface ForwardedHeaders {
  by: string | null;
  role: string | null;
  actor: string | null;
  signature: string | null;
}

/** Reads the forwarding headers through `get` (Node's IncomingMessage or a fetch Request). */
export function forwardedHeaders(get: (name: string) => string | null): ForwardedHeaders {
  return {
    by: get(FORWARDED_BY),
    role: get(FORWARDED_ROLE),
    actor: get(FORWARDED_ACTOR),
    signature: get(FORWARDED_SIGNATURE),
  };
}

/** True when the request claims to be forwarded by a node (then it must prove it). */
export function claimsForwarded(headers: ForwardedHeaders | undefined): boolean {
  return Boolean(headers && (headers.by ?? headers.role ?? headers.actor ?? headers.signature) !== null);
}

function sign(secret: string, by: string, role: string, name: string): string {
  return createHmac('sha256', secret).update(`gt-forward\n${by}\n${role}\n${name}`).digest('base64url');
}

/** The headers a node adds when it relays `actor`'s request. */
export function forwardingHeaders(secret: string, by: string, actor: Actor): Record<string, string> {
  return {
    [FORWARDED_BY]: by,
    [FORWARDED_ROLE]: actor.role,
    // Names may hold any letter (authenticator.ts NAME): percent-encoded to stay a valid header value.
    [FORWARDED_ACTOR]: encodeURIComponent(actor.name),
    [FORWARDED_SIGNATURE]: sign(secret, by, actor.role, actor.name),
  };
}

function sameString(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * The caller a forwarded request speaks for, with the node that relayed it; null when the
 * headers are incomplete, malformed or not signed with `secret` (or this node has none).
 */
export function verifyForwarded(
  secret: string | null | undefined,
  headers: ForwardedHeaders,
): { actor: Actor; by: string } | null {
  const { by, role, actor, signature } = headers;
  if (!secret || !by || !role || actor === null || !signature) return null;
  if (role !== 'operator' && role !== 'viewer') return null;
  let name: string;
  try {
    name = decodeURIComponent(actor);
  } catch {
    return null;
  }
  if (!sameString(signature, sign(secret, by, role, name))) return null;
  return { actor: { name, role }, by };
}
