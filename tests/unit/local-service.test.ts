/**
 * How the tests find or start a service (scripts/local-service.mjs, PostgreSQL's steps and
 * Redis's to come): a real TCP service here, a child node process listening on a free
 * port, found when it answers, started when it does not, and a clear error when starting
 * does not bring it up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLocalService } from '../../scripts/local-service.mjs';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A port nobody listens on (taken and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** Starts a TCP service on `port` in a child process, as pg_ctlcluster or redis-server would. */
function startService(port: number): boolean {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer((s) => s.end()).listen(${port}, '127.0.0.1')`], {
    stdio: 'ignore',
  });
  children.push(child);
  return true;
}

const service = (port: number, start: () => unknown) => ({
  tag: 'test-service',
  probe: () => answers(port),
  installed: () => true,
  start,
  aptPackage: 'test-service',
  missing: 'Install test-service yourself.',
  startTimeoutMs: 5_000,
});

describe('finding or starting a local service', () => {
  it('uses a service that answers, without starting anything', async () => {
    const port = await freePort();
    startService(port);
    await expect.poll(() => answers(port)).toBe(true);
    let started = 0;
    expect(await ensureLocalService(service(port, () => started++))).toBe('running');
    expect(started).toBe(0);
  });

  it('starts an installed service that does not answer, and waits until it does', async () => {
    const port = await freePort();
    expect(await answers(port)).toBe(false);
    expect(await ensureLocalService(service(port, () => startService(port)))).toBe('started');
    expect(await answers(port)).toBe(true);
  });

  it('says what is missing when starting it does not bring it up', async () => {
    const port = await freePort();
    await expect(ensureLocalService(service(port, () => false))).rejects.toThrow(
      /\[test-service\] test-service is installed but did not start .*Install test-service yourself\./,
    );
  });
});
