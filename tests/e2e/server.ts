/**
 * Starts the real Gas Town Fleet server (server/main.ts with tsx as its loader, production mode) for one
 * spec: a free port, a fresh temporary data directory, and a stop() that shuts it down and
 * cleans up. Specs get it through the `server` fixture (fixtures.ts). Needs a production
 * build (`node scripts/ensure-build.mjs`).
 *
 * Signing in: the server is given the run's operator and viewer tokens (GT_OPERATOR_TOKEN,
 * GT_VIEWER_TOKEN). playwright.config.ts sends the operator's as a bearer header from every
 * page and `request` (the server then also sets the session cookie the page's socket uses),
 * so specs need no sign-in step. A spec that wants another role uses the `signIn` fixture:
 * a fresh context without that header, signed in through `signInUrl(role)`, as a person
 * would with the URL the server prints.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
const OUTPUT_LIMIT = 20_000;

/** The run's tokens: the operator's comes from playwright.config.ts (shared with the workers through the environment). */
export const E2E_OPERATOR_TOKEN = (process.env.GT_E2E_OPERATOR_TOKEN ??= `gto_e2e_${randomBytes(18).toString('base64url')}`);
export const E2E_VIEWER_TOKEN = (process.env.GT_E2E_VIEWER_TOKEN ??= `gtv_e2e_${randomBytes(18).toString('base64url')}`);

export interface RunningServer {
  url: string;
  dataDir: string;
  operatorToken: string;
  viewerToken: string;
  /** Headers for Node's fetch (the browser and `request` already send the operator's). */
  authHeaders(role?: 'operator' | 'viewer'): Record<string, string>;
  /** The sign-in URL the server prints at start, for a role (and a page path). */
  signInUrl(role: 'operator' | 'viewer', path?: string, name?: string): string;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startServer({ env = {} }: { env?: Record<string, string> } = {}): Promise<RunningServer> {
  if (!existsSync(path.join(ROOT, '.next', 'BUILD_ID'))) {
    throw new Error('No production build: run `node scripts/ensure-build.mjs` (npm run test:e2e does) before the browser tests.');
  }
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gastown-e2e-'));
  // node with tsx as its loader, not the tsx CLI: the CLI relays SIGTERM and, when the
  // server does not acknowledge it within 30 ms (a loaded machine), SIGKILLs it instead.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      GT_DATA_DIR: dataDir,
      NEXT_TELEMETRY_DISABLED: '1',
      GT_OPERATOR_TOKEN: env.GT_OPERATOR_TOKEN ?? E2E_OPERATOR_TOKEN,
      GT_VIEWER_TOKEN: env.GT_VIEWER_TOKEN ?? E2E_VIEWER_TOKEN,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a last-resort SIGKILL also reaches its git and agent children.
    detached: true,
  });

  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, STOP_GRACE_MS);
      await exited(child);
      clearTimeout(killer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`did not print "listening on" within ${START_TIMEOUT_MS / 1000} s`)),
        START_TIMEOUT_MS,
      );
      const done = (err?: Error) => {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onData = () => {
        if (output.includes('listening on')) done();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        done(new Error(`exited early (code ${code}, signal ${signal})`));
      const onError = (err: Error) => done(new Error(`could not be spawned: ${err.message}`));
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  } catch (err) {
    await stop();
    throw new Error(`Gas Town Fleet server ${(err as Error).message}. Its output:\n${output}`);
  }

  const operatorToken = env.GT_OPERATOR_TOKEN ?? E2E_OPERATOR_TOKEN;
  const viewerToken = env.GT_VIEWER_TOKEN ?? E2E_VIEWER_TOKEN;
  const tokenOf = (role: 'operator' | 'viewer') => (role === 'operator' ? operatorToken : viewerToken);
  return {
    url,
    dataDir,
    operatorToken,
    viewerToken,
    authHeaders: (role = 'operator') => ({ authorization: `Bearer ${tokenOf(role)}` }),
    signInUrl: (role, pagePath = '/', name) =>
      `${url}${pagePath}?token=${encodeURIComponent(tokenOf(role))}${name ? `&name=${encodeURIComponent(name)}` : ''}`,
    output: () => output,
    stop,
  };
}
