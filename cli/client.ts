/**
 * The CLI's way to the running server: its JSON API over HTTP. Where to find it and how to
 * authenticate come from the environment (GT_URL, GT_TOKEN) or from the file the server
 * writes at start (`<GT_DATA_DIR>/cli.json`), so `gt` works on the machine running the
 * town with no set-up. Every failure becomes a typed CliError with the exit code the
 * documentation promises.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** 0 ok, 1 usage error, 2 server unreachable, 3 not found, 4 refused. */
export const EXIT = { ok: 0, usage: 1, unreachable: 2, notFound: 3, refused: 4 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface Connection {
  url: string;
  token: string | null;
}

/** GT_URL / GT_TOKEN win; else the server's cli.json in GT_DATA_DIR (default ./data); else localhost:3000. */
export function connection(env: NodeJS.ProcessEnv = process.env): Connection {
  const file = path.resolve(env.GT_DATA_DIR ?? './data', 'cli.json');
  let saved: Partial<Connection> = {};
  if (existsSync(file)) {
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Connection>;
    } catch {
      // An unreadable file is ignored: the environment or the default still apply.
    }
  }
  return {
    url: (env.GT_URL ?? saved.url ?? `http://127.0.0.1:${env.PORT ?? 3000}`).replace(/\/$/, ''),
    token: env.GT_TOKEN ?? saved.token ?? null,
  };
}

/** Calls the API; `timeoutMs` (default 30 s) bounds a call that waits on real work, such as a clone. */
export async function api<T>(method: 'GET' | 'POST', route: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
  return JSON.parse(await request(method, route, body, timeoutMs, 'application/json')) as T;
}

/** A GET whose answer is text, not JSON (bd export's issues.jsonl, a Prometheus rule file). */
export function apiText(route: string, accept = 'application/x-ndjson'): Promise<string> {
  return request('GET', route, undefined, 30_000, accept);
}

async function request(method: 'GET' | 'POST', route: string, body: unknown, timeoutMs: number, accept: string): Promise<string> {
  const { url, token } = connection();
  let res: Response;
  try {
    res = await fetch(url + route, {
      method,
      headers: {
        accept,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    throw new CliError(
      `cannot reach the Gas Town server at ${url} (is it running? set GT_URL to point elsewhere)`,
      EXIT.unreachable,
    );
  }
  const text = await res.text();
  if (res.ok && accept !== 'application/json') return text;
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    throw new CliError(`the server at ${url} answered ${res.status} with something that is not JSON`, EXIT.unreachable);
  }
  if (res.ok) return text || 'null';
  const message = (parsed as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${res.status}`;
  throw new CliError(message, res.status === 404 ? EXIT.notFound : EXIT.refused);
}

/** Runs an operator action through the command endpoint. */
export function command<T>(name: string, input: unknown, timeoutMs?: number): Promise<T> {
  return api<T>('POST', `/api/commands/${encodeURIComponent(name)}`, input, timeoutMs);
}
