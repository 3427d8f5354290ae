/**
 * The second node of the cluster benchmark (bench/cluster-realtime.ts), in a process of its
 * own as a node on another machine would be: an empty town (it owns no rig), its socket.io
 * server on the same Redis and key prefix as the first node, the same viewer token. Its
 * clients see the first node's events only through Redis. Tells its URL over IPC and runs
 * until killed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScriptedAgentRuntime } from '../server/agents/scripted-agent';
import { Authenticator } from '../server/auth/authenticator';
import { CheckRunner } from '../server/checks/check-runner';
import { ScaledRealClock } from '../server/engine/clock';
import { createEngine } from '../server/engine/assembly';
import { CliGit } from '../server/git/cli-git';
import { RedisLink } from '../server/realtime/redis-link';
import { attachRealtime } from '../server/realtime/socket';
import { MemoryStore } from '../server/store/memory-store';

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-bench-node-'));
  const clock = new ScaledRealClock(1);
  const git = new CliGit();
  const store = new MemoryStore();
  const town = await createEngine({
    clock,
    git,
    store,
    agents: new ScriptedAgentRuntime({ clock, git }),
    checks: new CheckRunner({ scratchRoot: path.join(dir, 'scratch') }),
    workDir: dir,
  });
  const log = { info: () => {}, warn: console.warn, error: console.error };
  const redis = new RedisLink({
    url: process.env.BENCH_REDIS_URL!,
    prefix: process.env.BENCH_REDIS_PREFIX!,
    node: 'bench-b',
    log,
  });
  redis.connect();
  const http = createServer((_req, res) => res.writeHead(404).end());
  attachRealtime({
    httpServer: http,
    town,
    store,
    node: 'bench-b',
    redis,
    auth: new Authenticator({
      mode: 'on',
      operatorToken: 'bench-operator-token',
      viewerToken: 'bench-viewer-token',
      sessionSecret: 'bench-session-secret-0123456789',
      file: '',
      stored: { operator: false, viewer: false },
      createdFile: false,
    }),
  });
  town.start();
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  process.send?.({ type: 'listening', url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
