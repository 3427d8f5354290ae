/**
 * Crash safety of landing upstream, on the real server: a kill -9 after a landing's push
 * reached the upstream but before the server recorded it (the local ref and the database
 * still say "merging") leaves every request landed exactly once after the restart.
 *
 * The window is a real one, held open without any hook in the product: the upstream's
 * own post-receive hook runs after the upstream's branch has moved and before `git push`
 * returns to the server, so making it wait keeps the server inside its push. The test
 * kills the whole server process group there, lets the hook go, and starts the server
 * again on the same data directory and the same upstream.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { MergeRequestDetail } from '@/contracts/town';
import { demoRepositoryFiles } from '@/server/git/demo-repo';
import { sleep } from '../support/crash-server';
import { startTestServer, type TestServer } from '../support/http-server';

const TOKEN = 'upstream-crash-operator-token';
const ENV = { GT_AUTH: 'on', GT_OPERATOR_TOKEN: TOKEN, GT_DEMO: '0', GT_TIME_SCALE: '20' };

function git(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', args, { cwd }, (error, stdout, stderr) =>
      error ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

/** A bare upstream with a short history on `main`, and a post-receive hook that waits while `<dir>/hold` exists. */
async function makeUpstream(dir: string): Promise<string> {
  const origin = path.join(dir, 'upstream.git');
  const work = path.join(dir, 'work');
  await git(dir, 'init', '-q', '--bare', '-b', 'main', origin);
  await git(dir, 'clone', '-q', origin, work);
  await git(work, 'config', 'user.name', 'Grace');
  await git(work, 'config', 'user.email', 'grace@example.com');
  // Files the scripted agent knows how to edit (regions), in two commits of somebody's.
  const files = Object.entries(demoRepositoryFiles());
  for (const [n, part] of [files.slice(0, files.length / 2), files.slice(files.length / 2)].entries()) {
    for (const [file, text] of part) {
      await mkdir(path.dirname(path.join(work, file)), { recursive: true });
      await writeFile(path.join(work, file), text);
    }
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '-m', `add part ${n + 1}`);
  }
  await git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  // After the upstream's ref moved: note the push, then hold it while `hold` exists.
  const hook = path.join(origin, 'hooks', 'post-receive');
  await writeFile(
    hook,
    [
      '#!/bin/sh',
      'cat > /dev/null',
      `[ -e '${dir}/hold' ] || exit 0`,
      `touch '${dir}/pushed'`,
      `while [ -e '${dir}/hold' ]; do sleep 0.05; done`,
      '',
    ].join('\n'),
  );
  await chmod(hook, 0o755);
  return origin;
}

async function command(server: TestServer, name: string, input: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}/api/commands/${name}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${name}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined> | T | null | undefined,
  timeoutMs = 240_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Row {
  id: string;
  status: string;
  mergeCommit: string | null;
}

function mergeRequests(dataDir: string): Row[] {
  const db = new Database(path.join(dataDir, 'gastown.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, status, mergeCommit FROM MergeRequest ORDER BY enqueuedAt, id').all() as Row[];
  } finally {
    db.close();
  }
}

describe('a kill -9 between the push to the upstream and the record', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('leaves every request landed exactly once on the upstream after the restart', { timeout: 600_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-upstream-crash-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const origin = await makeUpstream(dir);
    await writeFile(path.join(dir, 'hold'), '');

    let server = await startTestServer({ env: ENV });
    cleanups.push(() => server.stop());
    await command(server, 'rig.add', { name: 'shop', url: `file://${origin}`, polecats: 2 });
    for (const [title, paths] of [
      ['Add the cart total', ['core/']],
      ['Restyle the cart', ['ui/']],
    ] as const) {
      await command(server, 'bead.create', { rig: 'shop', title, paths: [...paths] });
    }

    // The first landing's push has moved the upstream and is held in its hook: kill -9 now.
    await waitFor('the first push', () => existsSync(path.join(dir, 'pushed')), 120_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${server.run.output().slice(-6000)}`);
    });
    const upstreamTip = (await git(origin, 'rev-parse', 'refs/heads/main')).trim();
    server.run.crash();
    await server.run.exited;
    await unlink(path.join(dir, 'hold'));

    // The kill came inside the window: the upstream has the landing, the record does not.
    const clone = path.join(server.dataDir, 'rigs', 'shop');
    const before = mergeRequests(server.dataDir);
    const caught = before.find((mr) => mr.status === 'merging' && mr.mergeCommit !== null);
    expect(caught, JSON.stringify(before)).toBeDefined();
    expect(caught!.mergeCommit).toBe(upstreamTip);
    expect(before.some((mr) => mr.status === 'merged')).toBe(false);
    expect((await git(clone, 'rev-parse', 'refs/heads/main')).trim()).not.toBe(upstreamTip);

    // Restart on the same data directory: reconcile reads the upstream.
    server = await startTestServer({ env: ENV, dataDir: server.dataDir });
    const landed = await waitFor('both requests merged', async () => {
      const all = mergeRequests(server.dataDir);
      return all.length === 2 && all.every((mr) => mr.status === 'merged') ? all : null;
    });
    const res = await fetch(`${server.url}/api/rigs/shop/mq/${caught!.id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const detail = (await res.json()) as MergeRequestDetail;
    expect(detail.mergeRequest).toMatchObject({ id: caught!.id, status: 'merged', mergeCommit: upstreamTip });
    await server.run.stop(30_000);

    // Each request is on the upstream once, in one merge commit, and nothing else was replaced.
    const subjects = (await git(origin, 'log', '--format=%s', 'refs/heads/main')).split('\n').filter(Boolean);
    for (const mr of landed)
      expect(
        subjects.filter((s) => s.includes(`via ${mr.id}`)),
        mr.id,
      ).toHaveLength(1);
    expect(subjects.filter((s) => s.startsWith('add part'))).toEqual(['add part 2', 'add part 1']);
    const firstParent = (await git(origin, 'log', '--first-parent', '--format=%H', 'refs/heads/main')).split('\n');
    expect(firstParent).toContain(upstreamTip);
    // The clone caught up with the upstream, and both repositories are sound.
    expect((await git(clone, 'rev-parse', 'refs/heads/main')).trim()).toBe(
      (await git(origin, 'rev-parse', 'refs/heads/main')).trim(),
    );
    await git(origin, 'fsck', '--no-progress');
    await git(clone, 'fsck', '--no-progress');
  });
});
