/**
 * Cluster nodes as real server processes for the tests (docs/cluster.md): each its own
 * `tsx server/main.ts` on a loopback port with its own data directory, as on its own
 * machine; what they share (a database, a Redis) comes through `env`. Plus the few reads a
 * test makes of them: a command, /api/cluster, a bare upstream with the demo repository.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ClusterView } from '../../contracts/cluster';
import { initRepository } from '../../server/git/cli-git';
import { demoRepositoryFiles } from '../../server/git/demo-repo';
import { git, ROOT, sleep, startServerProcess, type ServerRun } from './crash-server';

const START_TIMEOUT_MS = 240_000;
const production = existsSync(path.join(ROOT, '.next', 'BUILD_ID'));

export interface ClusterNode {
  name: string;
  url: string;
  run: ServerRun;
}

export class ClusterNodes {
  readonly runs: ServerRun[] = [];

  constructor(
    private readonly root: string,
    private readonly token: string,
    private readonly shared: Record<string, string>,
  ) {}

  /** Starts node `name` on `<root>/<name>`; resolves once it listens. */
  async start(name: string, env: Record<string, string> = {}): Promise<ClusterNode> {
    const run = startServerProcess({
      index: this.runs.length,
      dataDir: path.join(this.root, name),
      logFile: path.join(this.root, `${name}.log`),
      env: {
        GT_DEMO: '0',
        GT_CLUSTER: '1',
        GT_NODE: name,
        GT_OPERATOR_TOKEN: this.token,
        // `next dev` locks its directory: each node of this checkout builds in its own.
        ...(production ? {} : { GT_NEXT_DIST_DIR: `.next/cluster-${name}` }),
        ...this.shared,
        ...env,
      },
    });
    this.runs.push(run);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const url = /listening on (http:\/\/\S+)/.exec(run.output())?.[1];
      if (url) return { name, url, run };
      if (!run.isRunning() || Date.now() > deadline) throw new Error(`node ${name} did not start:\n${run.output().slice(-4000)}`);
      await sleep(200);
    }
  }

  /** Kills every node still running (a paused one is woken first, so it can die). */
  async killAll(): Promise<void> {
    for (const run of this.runs.splice(0)) {
      try {
        process.kill(-run.pid, 'SIGCONT');
      } catch {
        // gone
      }
      run.crash();
      await run.exited;
    }
  }

  async api<T>(node: ClusterNode, method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${node.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route} on ${node.name}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  command<T = unknown>(node: ClusterNode, name: string, input: unknown): Promise<T> {
    return this.api<T>(node, 'POST', `/api/commands/${name}`, input);
  }

  cluster(node: ClusterNode): Promise<ClusterView> {
    return this.api<ClusterView>(node, 'GET', '/api/cluster');
  }

  /** A bare upstream holding the demo repository (the scripted agent edits its region files). */
  async upstream(name: string): Promise<string> {
    const work = path.join(this.root, 'src', name);
    await initRepository(work, demoRepositoryFiles());
    const bare = path.join(this.root, 'upstreams', `${name}.git`);
    const cloned = await git(this.root, ['clone', '-q', '--bare', work, bare]);
    if (cloned.code !== 0) throw new Error(cloned.stderr);
    return bare;
  }
}

/** Polls `read` until `done` holds of its answer (the test's own timeout bounds it). */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, every = 250): Promise<T> {
  for (;;) {
    const value = await read().catch(() => null);
    if (value !== null && done(value)) return value;
    await sleep(every);
  }
}

/** The rigs `node` holds in `view`, as `rig@epoch`, sorted. */
export const owned = (view: ClusterView, node: string): string[] =>
  (view.nodes.find((n) => n.name === node)?.rigs ?? []).map((l) => `${l.rig}@${l.epoch}`).sort();

/** Who holds `rig` in `view`, or null. */
export const ownerOf = (view: ClusterView, rig: string): string | null =>
  view.nodes.find((n) => n.rigs.some((l) => l.rig === rig))?.name ?? null;
