/**
 * Redis for the tests, found the way the browser tests find Chromium: the running service on
 * 127.0.0.1:6379 (this project's machines start it before every session and CI run); if it
 * is installed but stopped, it is started (no persistence, loopback only); if it is absent
 * and this is root with apt-get, Debian's `redis-server` is installed first. Otherwise the
 * test fails saying what is missing.
 *
 * Every run gets its own key prefix (`redisPrefix()`) for the servers' GT_REDIS_PREFIX, so
 * parallel runs on one Redis never read each other's streams; `dropPrefix` removes its keys.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createClient } from 'redis';
import { aptInstall } from '../../scripts/apt.mjs';

export const REDIS_URL = process.env.GT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type TestRedis = ReturnType<typeof createClient>;

/** One connection attempt, no retries: a client when Redis answers PING, null otherwise. */
async function tryConnect(url: string): Promise<TestRedis | null> {
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 2_000 } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch {
    if (client.isOpen) client.destroy();
    return null;
  }
}

const installed = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** The command this project's machines start Redis with (shared/STACK-NOTES.md). */
function startRedisServer(): string | null {
  try {
    for (const dir of ['/var/lib/redis', '/var/log/redis']) if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  } catch (err) {
    return `cannot make Redis's directories: ${err instanceof Error ? err.message : String(err)}`;
  }
  const r = spawnSync(
    'redis-server',
    [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '-::1',
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/var/lib/redis',
      '--logfile',
      '/var/log/redis/ci.log',
    ],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? null : (r.stderr || r.stdout || r.error?.message || `exit ${r.status}`).trim();
}

/** A connected client to the tests' Redis, starting or installing it when it is missing; throws saying what is missing. */
export async function ensureRedis(): Promise<TestRedis> {
  const running = await tryConnect(REDIS_URL);
  if (running) return running;
  if (process.env.GT_TEST_REDIS_URL) throw new Error(`no Redis answers at GT_TEST_REDIS_URL=${REDIS_URL}`);
  if (!installed() && !aptInstall('redis', 'redis-server', installed)) {
    throw new Error(
      'these tests need Redis: nothing answers on 127.0.0.1:6379 and redis-server is not installed ' +
        '(as root this installs it with apt-get; otherwise run `sudo apt-get install -y redis-server`, or point GT_TEST_REDIS_URL at one)',
    );
  }
  const failed = startRedisServer();
  for (let i = 0; i < 50; i++) {
    const client = await tryConnect(REDIS_URL);
    if (client) return client;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `redis-server is installed but did not answer on 127.0.0.1:6379 after starting it${failed ? `: ${failed}` : ''}`,
  );
}

/** A key prefix of this run's own (GT_REDIS_PREFIX). */
export function redisPrefix(tag = 'test'): string {
  return `gastown-${tag}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under a prefix (the run's streams). */
export async function dropPrefix(client: TestRedis, prefix: string): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length > 0) await client.del(keys);
}

/**
 * Cuts the connections whose client name starts with `name` (the servers name theirs
 * `gastown:<node>`, server/realtime/redis-link.ts), as a network blip would, without
 * touching Redis itself or anyone else's connections. Returns how many it cut.
 */
export async function killConnections(client: TestRedis, name: string): Promise<number> {
  const list = await client.clientList();
  let killed = 0;
  for (const c of list) {
    if (!c.name?.startsWith(name)) continue;
    killed += await client.clientKill({ filter: 'ID', id: Number(c.id) });
  }
  return killed;
}
