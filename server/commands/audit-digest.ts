/**
 * What an audit row keeps of a command's input: a bounded, redacted digest, not the raw
 * input. "Who did what" needs the shape and the short values (rig, bead ids, worker
 * counts); it must not keep a 1 MB description, a token someone pasted, or a structure so
 * deep that writing it overflows the stack. The digest:
 *   - keeps scalars, strings cut at 200 characters (with their length);
 *   - keeps the first 30 keys of an object and the first 20 items of an array, and says
 *     how many more there were;
 *   - stops at depth 4 (deeper parts become `[object: N keys]` / `[array: N items]`);
 *   - redacts the value of any key that names a secret (token, password, secret,
 *     authorization, cookie, api key, credential), and the password of a URL in any string
 *     (a rig's upstream, `https://user:password@host/...`);
 *   - fits in AUDIT_DIGEST_MAX_CHARS of JSON, shrinking its bounds until it does.
 * Bounded recursion only, so any input (cyclic, 100,000 levels deep) digests without a throw.
 */
import { redactCredentials } from '../../contracts/git-url';

/** Largest digest, as JSON text. */
export const AUDIT_DIGEST_MAX_CHARS = 4096;

const SECRET_KEY = /token|passw|secret|authori[sz]ation|cookie|api[-_]?key|credential|private[-_]?key/i;
export const REDACTED = '[redacted]';

interface Bounds {
  depth: number;
  keys: number;
  items: number;
  chars: number;
}

const FIRST: Bounds = { depth: 4, keys: 30, items: 20, chars: 200 };

function cut(text: string, chars: number, length = text.length): string {
  return length <= chars && text.length <= chars ? text : `${text.slice(0, chars)}… (${length} chars)`;
}

function digestValue(value: unknown, b: Bounds, depth: number): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  // A repository URL's password (`https://user:pw@host/...`, rig.add) is a secret in a value.
  // Only the part that is kept is searched (plus room for a URL across the cut), so the
  // cost does not grow with a megabyte string.
  if (typeof value === 'string') return cut(redactCredentials(value.slice(0, b.chars + 2048)), b.chars, value.length);
  if (typeof value === 'undefined') return null;
  if (typeof value !== 'object') return cut(String(value), b.chars);
  if (Array.isArray(value)) {
    if (depth >= b.depth) return `[array: ${value.length} items]`;
    const out = value.slice(0, b.items).map((v) => digestValue(v, b, depth + 1));
    if (value.length > b.items) out.push(`… (+${value.length - b.items} more items)`);
    return out;
  }
  const keys = Object.keys(value);
  if (depth >= b.depth) return `[object: ${keys.length} keys]`;
  const out: Record<string, unknown> = {};
  for (const key of keys.slice(0, b.keys)) {
    const name = cut(key, 60);
    out[name] = SECRET_KEY.test(key) ? REDACTED : digestValue((value as Record<string, unknown>)[key], b, depth + 1);
  }
  if (keys.length > b.keys) out['…'] = `+${keys.length - b.keys} more keys`;
  return out;
}

/** The audit row's `input`: a JSON-safe digest of `input` under AUDIT_DIGEST_MAX_CHARS. */
export function auditDigest(input: unknown): unknown {
  try {
    let b = FIRST;
    for (let round = 0; round < 6; round++) {
      const digest = digestValue(input ?? null, b, 0);
      if (JSON.stringify(digest).length <= AUDIT_DIGEST_MAX_CHARS) return digest;
      b = {
        depth: Math.max(1, b.depth - 1),
        keys: Math.max(5, b.keys >> 1),
        items: Math.max(3, b.items >> 1),
        chars: Math.max(20, b.chars >> 1),
      };
    }
    return '[input too large to digest]';
  } catch {
    return '[input could not be read]';
  }
}
