/**
 * The CLI in a pipeline (issue 21): `bd list --json | head -5` and `gt ... | head` end as
 * quietly as any Unix tool when the reader closes the pipe early: exit 0, nothing on
 * stderr. Against a real server with the demo town, through a real `head`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/http-server';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SLOW_MS = 120_000;
const OPERATOR = 'operator-token-cli-pipes';
const auth = { authorization: `Bearer ${OPERATOR}` };

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { GT_DEMO: '1', GT_DEMO_POLECATS: '1', GT_OPERATOR_TOKEN: OPERATOR } });
  // The demo town is seeded after the server listens.
  let rig: string | undefined;
  while (!rig) {
    const town = (await (await fetch(`${server.url}/api/town`, { headers: auth })).json()) as { rigs?: Array<{ name: string }> };
    rig = town.rigs?.[0]?.name;
    if (!rig) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Enough output to outgrow the pipe's buffer (64 KiB): the writer meets the closed pipe.
  for (let i = 0; i < 40; i++) {
    const res = await fetch(`${server.url}/api/commands/bead.create`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ rig, title: `piped ${i}`, description: 'x'.repeat(4_000) }),
    });
    expect(res.status).toBe(200);
  }
}, SLOW_MS);

afterAll(async () => server?.stop());

/** `<cli> <args> | head -<lines>` with pipefail: the exit status is the CLI's own. */
function piped(cli: 'bd' | 'gt', args: string[], lines: number) {
  return spawnSync(
    'bash',
    [
      '-c',
      'set -o pipefail; "$0" "$1" "${@:3}" | head -n "$2"',
      process.execPath,
      path.join(ROOT, 'bin', `${cli}.mjs`),
      String(lines),
      ...args,
    ],
    { encoding: 'utf8', env: { ...process.env, GT_URL: server.url, GT_TOKEN: OPERATOR, NO_COLOR: '1' }, timeout: SLOW_MS },
  );
}

describe('the CLI when the reader closes the pipe', () => {
  it('`bd list --json | head -5` prints five lines and exits 0 without a stack trace', () => {
    const run = piped('bd', ['list', '--json'], 5);
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n').filter(Boolean)).toHaveLength(5);
    expect(run.status).toBe(0);
  });

  it('`gt` ends quietly too when its reader is gone before it writes', () => {
    const run = piped('gt', ['status', '--json'], 0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('');
    expect(run.status).toBe(0);
  });
});
