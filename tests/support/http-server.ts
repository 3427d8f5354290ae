/**
 * The real Gas Town Fleet server as a child process on a free port and its own data
 * directory, for tests of the HTTP boundary (tests/integration/http-hardening.test.ts)
 * and the hostile-input suite: started the way crash-server.ts starts it, plus a raw
 * HTTP client that can send what fetch refuses to (a foreign Host header, a bad
 * percent-escape, a 100 MB body), and the server's resident memory from /proc.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { sleep, startServerProcess, type ServerRun } from './crash-server';

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly run: ServerRun;
  readonly dataDir: string;
  /** Resident memory of the server's node process (the largest in its process tree), bytes. */
  rssBytes(): number;
  /** CPU seconds (user + system) the server's node process (the largest in its tree) has used so far. */
  cpuSeconds(): number;
  /** Stops the server; its data directory goes too unless `keepData` (for a restart on it). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * Starts the server (no demo town unless `env` asks for one) and resolves once it listens.
 * `env` is added to the child's environment (GT_AUTH, tokens, GT_ALLOWED_HOSTS...);
 * `dataDir` restarts on the directory of an earlier server stopped with `keepData`.
 */
export async function startTestServer(
  options: { env?: Record<string, string>; timeoutMs?: number; dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'gt-http-')));
  const run = startServerProcess({
    index: options.dataDir ? 1 : 0,
    dataDir,
    logFile: path.join(dataDir, 'server.log'),
    env: { GT_DEMO: '0', ...options.env },
  });
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let url: string | null = null;
  while (!url) {
    url = /listening on (http:\/\/\S+)/.exec(run.output())?.[1] ?? null;
    if (url) break;
    if (!run.isRunning() || Date.now() > deadline) {
      run.crash();
      throw new Error(`the server did not start listening:\n${run.output().slice(-4000)}`);
    }
    await sleep(100);
  }
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    run,
    dataDir,
    rssBytes: () => Math.max(...processTree(run.pid).map(rssOf)),
    cpuSeconds: () => {
      const tree = processTree(run.pid);
      const rss = tree.map(rssOf);
      return cpuOf(tree[rss.indexOf(Math.max(...rss))]);
    },
    async stop({ keepData = false } = {}) {
      await run.stop(10_000);
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const children = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    } catch {
      // gone already
    }
  }
  return out;
}

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One HTTP request exactly as given: `target` goes on the request line unnormalised
 * (`/api/convoys/%ff/dispatch`), headers as they are (`host: evil.example`). `body` may be
 * a string, or a generator of chunks for bodies too big to hold (sent chunked unless a
 * content-length header is given); sending stops as soon as the response arrives.
 */
export function rawRequest(
  server: Pick<TestServer, 'port'>,
  target: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Iterable<Buffer> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest({
      host: '127.0.0.1',
      port: server.port,
      method: options.method ?? 'GET',
      path: target,
      headers: { host: `127.0.0.1:${server.port}`, ...options.headers },
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    // Writing into a socket the server closed after answering is expected for refused bodies.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const body = options.body;
    if (body === undefined || typeof body === 'string') {
      req.end(body);
      return;
    }
    const chunks = body[Symbol.iterator]();
    const pump = () => {
      while (!answered && !req.destroyed) {
        const next = chunks.next();
        if (next.done) return void req.end();
        if (!req.write(next.value)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

/** `total` bytes as `chunk`-sized buffers (the same buffer each time: nothing big is held). */
export function* bytes(total: number, chunk = 64 * 1024, fill = 'a'): Generator<Buffer> {
  const buf = Buffer.alloc(chunk, fill);
  for (let sent = 0; sent < total; sent += chunk) yield sent + chunk <= total ? buf : buf.subarray(0, total - sent);
}
