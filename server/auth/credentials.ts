/**
 * Where the town's credentials come from. Two roles: operators act, viewers see. Each has
 * a token; the operator's can be set at start (GT_OPERATOR_TOKEN), the viewer's too
 * (GT_VIEWER_TOKEN). What is not set is generated on first start and kept in
 * `<data dir>/auth.json` (mode 0600), so restarts keep the same tokens and sessions, and
 * the start-up log prints the URL that signs a browser in. The key that signs session
 * cookies lives there too (or GT_SESSION_SECRET).
 *
 * GT_AUTH=off turns authentication off for a local demo: every request is the local
 * operator (cross-origin writes are still refused). It is refused on a non-loopback HOST.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CredentialInput {
  dataDir: string;
  /** GT_AUTH: `off` disables authentication (local demos only). */
  mode: 'on' | 'off';
  host: string;
  operatorToken?: string | null;
  viewerToken?: string | null;
  sessionSecret?: string | null;
}

export interface Credentials {
  mode: 'on' | 'off';
  operatorToken: string;
  viewerToken: string;
  sessionSecret: string;
  /** Where generated values are kept. */
  file: string;
  /** Which tokens came from the file or were generated (so the log prints their sign-in URL). */
  stored: { operator: boolean; viewer: boolean };
  /** True when auth.json was created by this start. */
  createdFile: boolean;
  /** GT_CLUSTER_SECRET: signs the caller's identity on requests one node forwards to another. */
  clusterSecret?: string | null;
}

interface AuthFile {
  operatorToken?: string;
  viewerToken?: string;
  sessionSecret?: string;
  createdAt?: string;
}

const token = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function resolveCredentials(input: CredentialInput): Promise<Credentials> {
  if (input.mode === 'off' && !isLoopback(input.host)) {
    throw new Error(`GT_AUTH=off is only allowed on a loopback HOST (127.0.0.1, ::1, localhost), not ${input.host}`);
  }
  const file = path.join(input.dataDir, 'auth.json');
  let saved: AuthFile = {};
  if (existsSync(file)) {
    try {
      saved = JSON.parse(await readFile(file, 'utf8')) as AuthFile;
    } catch (err) {
      throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix or delete it to generate new tokens`);
    }
  }
  const next: AuthFile = {
    operatorToken: saved.operatorToken ?? (input.operatorToken ? undefined : token('gto')),
    viewerToken: saved.viewerToken ?? (input.viewerToken ? undefined : token('gtv')),
    sessionSecret: saved.sessionSecret ?? (input.sessionSecret ? undefined : randomBytes(32).toString('base64url')),
    createdAt: saved.createdAt ?? new Date().toISOString(),
  };
  const changed =
    next.operatorToken !== saved.operatorToken ||
    next.viewerToken !== saved.viewerToken ||
    next.sessionSecret !== saved.sessionSecret;
  const createdFile = !existsSync(file);
  if (changed) {
    const clean = Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined));
    await writeFile(file, JSON.stringify(clean, null, 2) + '\n', { mode: 0o600 });
  }
  return {
    mode: input.mode,
    operatorToken: input.operatorToken || next.operatorToken!,
    viewerToken: input.viewerToken || next.viewerToken!,
    sessionSecret: input.sessionSecret || next.sessionSecret!,
    file,
    stored: { operator: !input.operatorToken, viewer: !input.viewerToken },
    createdFile,
  };
}
