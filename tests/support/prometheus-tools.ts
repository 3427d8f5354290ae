/**
 * Real Prometheus tools for the monitoring tests (Debian's packages, installed by
 * scripts/ensure-prometheus.mjs): free loopback ports, a tool as a child process with its
 * output kept for failure messages, an Alertmanager on its own data directory, and a
 * poller for what those processes take a moment to show.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { sleep } from './crash-server';

export const TOOLS = ['promtool', 'prometheus', 'prometheus-alertmanager'];

/** Throws, naming the missing tools and how to get them (a test that cannot run its tools fails, it does not skip). */
export function requireTools(): void {
  const has = (bin: string) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
  const missing = TOOLS.filter((t) => !has(t));
  if (missing.length) throw new Error(`${missing.join(', ')} missing: node scripts/ensure-prometheus.mjs installs them`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns something (not undefined), or fails with what it last saw. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(250);
  }
}

export interface Tool {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export function startTool(bin: string, args: string[]): Tool {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** What Alertmanager's API v2 lists. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  startsAt: string;
  endsAt: string;
  updatedAt: string;
}

export interface RunningAlertmanager extends Tool {
  url: string;
  alerts(): Promise<AmAlert[]>;
}

/**
 * An Alertmanager on a free loopback port with its own data directory, clustering off,
 * routing everything to `webhookUrl` (resolved notifications included) within a second.
 */
export async function startAlertmanager(dir: string, webhookUrl: string): Promise<RunningAlertmanager> {
  const config = path.join(dir, 'alertmanager.yml');
  await writeFile(
    config,
    [
      'route:',
      '  receiver: recorder',
      "  group_by: ['alertname', 'rig']",
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: recorder',
      '    webhook_configs:',
      `      - url: ${webhookUrl}`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tool = startTool('prometheus-alertmanager', [
    `--config.file=${config}`,
    `--storage.path=${path.join(dir, 'alertmanager-data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ]);
  await until('Alertmanager to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000).catch(
    async (err) => {
      await tool.stop();
      throw new Error(`${String(err)}\n${tool.output().slice(-2000)}`);
    },
  );
  return { ...tool, url, alerts: async () => (await fetch(`${url}/api/v2/alerts`)).json() as Promise<AmAlert[]> };
}
