/**
 * CliUpstream on real git, no network: a bare "upstream" with a real-looking history, cloned
 * over file://, a local path, a dumb-HTTP server with a password and a fake ssh; landings
 * pushed to it by compare-and-swap while somebody else pushes too.
 */
import { createServer, type Server } from 'node:http';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { branchNameProblem } from '@/contracts/git-url';
import { UpstreamError } from '@/server/engine/errors';
import type { CloneProgress } from '@/server/engine/ports';
import { CliGit, fsck } from '@/server/git/cli-git';
import { runGit } from '@/server/git/run-git';
import { CliUpstream } from '@/server/git/upstream';

const run = promisify(execFile);
const upstream = new CliUpstream();
const git = new CliGit();
const author = { name: 'polecat', email: 'polecat@localhost' };
const TIMEOUT = 30_000;

let dir: string;
/** The bare upstream (default branch `trunk`, also `release` and a tag). */
let origin: string;
/** Somebody else's working clone of the upstream. */
let other: string;
let clone: string;

const sh = async (cwd: string, ...args: string[]) => (await runGit(args, { cwd })).stdout.trim();
const tipOf = (repo: string, branch: string) => sh(repo, 'rev-parse', `refs/heads/${branch}`);
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Somebody else's commit on `branch`, pushed to the upstream. */
async function theirCommit(branch: string, file: string, text: string): Promise<string> {
  await sh(other, 'checkout', '-q', '-B', branch, `origin/${branch}`);
  await writeFile(path.join(other, file), text);
  await sh(other, 'add', '-A');
  await sh(other, 'commit', '-q', '-m', `their change to ${file}`);
  await sh(other, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
  await sh(other, 'fetch', '-q', 'origin');
  return sh(other, 'rev-parse', 'HEAD');
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gastown-upstream-'));
  origin = path.join(dir, 'upstream.git');
  other = path.join(dir, 'other');
  clone = path.join(dir, 'rigs', 'engine');
  await sh(dir, 'init', '-q', '--bare', '-b', 'trunk', origin);
  await sh(dir, 'clone', '-q', origin, other);
  const history: [string, string][] = [
    ['README.md', '# engine\n'],
    ['src/index.ts', 'export const version = 1;\n'],
    ['src/registry.ts', 'export const registry = new Map();\n'],
    ['package.json', '{ "name": "engine", "scripts": { "test": "true" } }\n'],
  ];
  await mkdir(path.join(other, 'src'));
  for (const [file, text] of history) {
    await writeFile(path.join(other, file), text);
    await sh(other, 'add', '-A');
    await sh(other, 'commit', '-q', '-m', `add ${file}`);
  }
  await sh(other, 'tag', 'v1.0');
  await sh(other, 'push', '-q', 'origin', 'HEAD:refs/heads/trunk', 'HEAD:refs/heads/release', 'v1.0');
  await sh(other, 'fetch', '-q', 'origin');
});

afterEach(async () => {
  const checks = [await fsck(origin), ...((await exists(clone)) ? [await fsck(clone)] : [])];
  await rm(dir, { recursive: true, force: true });
  for (const check of checks) expect(check.ok, check.output).toBe(true);
});

/** Expects `promise` to fail with an UpstreamError of `kind`; returns its message. */
async function failsWith(promise: Promise<unknown>, kind: UpstreamError['kind']): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  expect((error as UpstreamError).kind, (error as Error).message).toBe(kind);
  return (error as Error).message;
}

describe('cloneBare', () => {
  it('clones over file:// onto the upstream default branch and reports progress when no branch is given', async () => {
    const progress: CloneProgress[] = [];
    const cloned = await upstream.cloneBare(`file://${origin}`, clone, {
      timeoutMs: TIMEOUT,
      onProgress: (p) => progress.push(p),
    });

    expect(cloned).toEqual({ url: `file://${origin}`, targetBranch: 'trunk', tip: await tipOf(origin, 'trunk') });
    expect(await sh(clone, 'symbolic-ref', 'HEAD')).toBe('refs/heads/trunk');
    // Local refs/heads holds only the landing ref; what the upstream has is under origin/.
    expect((await sh(clone, 'for-each-ref', '--format=%(refname)', 'refs/heads', 'refs/remotes')).split('\n')).toEqual([
      'refs/heads/trunk',
      'refs/remotes/origin/release',
      'refs/remotes/origin/trunk',
    ]);
    expect(await sh(clone, 'config', 'remote.origin.fetch')).toBe('+refs/heads/*:refs/remotes/origin/*');
    expect(await sh(clone, 'log', '--format=%s', 'refs/heads/trunk')).toContain('add README.md');
    expect(progress.some((p) => p.phase === 'Receiving objects' && p.percent === 100)).toBe(true);
  });

  it('targets the branch asked for when a branch is given', async () => {
    const cloned = await upstream.cloneBare(origin, clone, { branch: 'release', timeoutMs: TIMEOUT });
    expect(cloned.targetBranch).toBe('release');
    expect(cloned.url).toBe(origin);
    expect(await sh(clone, 'symbolic-ref', 'HEAD')).toBe('refs/heads/release');
  });

  it('fails with no_such_branch and leaves no directory when the branch does not exist', async () => {
    const message = await failsWith(
      upstream.cloneBare(`file://${origin}`, clone, { branch: 'nope', timeoutMs: TIMEOUT }),
      'no_such_branch',
    );
    expect(message).toMatch(/nope not found/);
    expect(await exists(clone)).toBe(false);
  });

  it('fails with not_a_repository when the URL is a plain directory or a missing path', async () => {
    const plain = path.join(dir, 'plain');
    await mkdir(plain);
    await writeFile(path.join(plain, 'notes.txt'), 'not a repository');
    expect(await failsWith(upstream.cloneBare(`file://${plain}`, clone, { timeoutMs: TIMEOUT }), 'not_a_repository')).toMatch(
      /does not appear to be a git repository/,
    );
    await failsWith(upstream.cloneBare(path.join(dir, 'missing.git'), clone, { timeoutMs: TIMEOUT }), 'not_a_repository');
    expect(await exists(clone)).toBe(false);
  });

  it('fails with empty and leaves no directory when the upstream has no commits', async () => {
    const empty = path.join(dir, 'empty.git');
    await sh(dir, 'init', '-q', '--bare', empty);
    await failsWith(upstream.cloneBare(`file://${empty}`, clone, { timeoutMs: TIMEOUT }), 'empty');
    expect(await exists(clone)).toBe(false);
  });

  it('refuses ext:: and option-like URLs before git runs', async () => {
    const marker = path.join(dir, 'pwned');
    await failsWith(upstream.cloneBare(`ext::sh -c touch% ${marker}`, clone, { timeoutMs: TIMEOUT }), 'refused');
    await failsWith(upstream.cloneBare('--upload-pack=touch /tmp/x', clone, { timeoutMs: TIMEOUT }), 'refused');
    await failsWith(upstream.cloneBare(origin, clone, { branch: '-b', timeoutMs: TIMEOUT }), 'refused');
    expect(await exists(marker)).toBe(false);
    expect(await exists(clone)).toBe(false);
  });

  it('refuses a directory that already exists and leaves it as it was', async () => {
    await mkdir(clone, { recursive: true });
    await writeFile(path.join(clone, 'keep.txt'), 'mine');
    await failsWith(upstream.cloneBare(origin, clone, { timeoutMs: TIMEOUT }), 'exists');
    expect(await readFile(path.join(clone, 'keep.txt'), 'utf8')).toBe('mine');
    await rm(clone, { recursive: true });
  });

  it('kills a clone that hangs and leaves no directory when it times out', async () => {
    // A fake ssh that never answers (the process group it starts is killed with git).
    const fakeSsh = path.join(dir, 'hang-ssh');
    await writeFile(fakeSsh, '#!/bin/sh\nsleep 60\n');
    await chmod(fakeSsh, 0o755);
    process.env.GIT_SSH_COMMAND = fakeSsh;
    try {
      const started = Date.now();
      await failsWith(upstream.cloneBare('ssh://git@example.invalid/engine.git', clone, { timeoutMs: 500 }), 'timeout');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      delete process.env.GIT_SSH_COMMAND;
    }
    expect(await exists(clone)).toBe(false);
  });

  it('leaves nothing in the way of the next clone when the process cloning is killed mid-clone', async () => {
    // A server process cloning over a fake ssh that never answers, killed with SIGKILL.
    const fakeSsh = path.join(dir, 'hang-ssh');
    const sshPid = path.join(dir, 'ssh.pid');
    await writeFile(fakeSsh, `#!/bin/sh\necho $$ > ${sshPid}\nexec sleep 60\n`);
    await chmod(fakeSsh, 0o755);
    const script = path.join(dir, 'clone.mts');
    const module = path.resolve('server/git/upstream.ts');
    await writeFile(
      script,
      `import { CliUpstream } from ${JSON.stringify(module)};\n` +
        `await new CliUpstream().cloneBare('ssh://git@example.invalid/engine.git', ${JSON.stringify(clone)}, { timeoutMs: 60_000 });\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, GIT_SSH_COMMAND: fakeSsh },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (let i = 0; i < 600 && !(await exists(sshPid)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await exists(sshPid)).toBe(true); // git is mid-clone, waiting on the upstream
    child.kill('SIGKILL');
    await exited;
    // git and its ssh outlive a SIGKILLed parent (their own process group): end them as well.
    const pid = Number((await readFile(sshPid, 'utf8')).trim());
    const pgid = Number((await run('ps', ['-o', 'pgid=', '-p', String(pid)])).stdout.trim());
    if (pgid > 0) process.kill(-pgid, 'SIGKILL');

    expect(await exists(clone)).toBe(false); // no half clone where the rig's clone goes
    const cloned = await upstream.cloneBare(origin, clone, { timeoutMs: TIMEOUT });
    expect(cloned.tip).toBe(await tipOf(origin, 'trunk'));
    expect(await readdir(path.dirname(clone))).toEqual(['engine']); // the cut-short staging is gone too
  });

  it('stops a clone and leaves no directory when it is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(
      await failsWith(upstream.cloneBare(origin, clone, { timeoutMs: TIMEOUT, signal: controller.signal }), 'timeout'),
    ).toMatch(/cancelled/);
    expect(await exists(clone)).toBe(false);
  });
});

describe('credentials', () => {
  let server: Server;
  let base: string;

  /** Dumb-HTTP git (static files of the bare upstream) behind HTTP Basic auth ada:s3cret. */
  beforeEach(async () => {
    await sh(origin, 'update-server-info');
    server = createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('ada:s3cret').toString('base64')}`) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
        return;
      }
      const file = path.join(
        origin,
        decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/engine\.git/, ''),
      );
      readFile(file).then(
        (body) => res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}/engine.git`;
  });

  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('clones with the password but never writes it into the clone', async () => {
    const secretUrl = `http://ada:s3cret@${base}`;
    const cloned = await upstream.cloneBare(secretUrl, clone, { timeoutMs: TIMEOUT });
    expect(cloned.url).toBe(`http://ada@${base}`);
    expect(cloned.tip).toBe(await tipOf(origin, 'trunk'));
    expect(await sh(clone, 'config', 'remote.origin.url')).toBe(`http://ada@${base}`);
    expect(await readFile(path.join(clone, 'config'), 'utf8')).not.toContain('s3cret');

    const theirs = await theirCommit('trunk', 'README.md', '# engine, by them\n');
    await sh(origin, 'update-server-info');
    expect(await upstream.fetchUpstream(clone, 'trunk', { secretUrl })).toBe(theirs);
    expect(await failsWith(upstream.fetchUpstream(clone, 'trunk'), 'auth')).not.toContain('s3cret');
  });

  it('fails with auth and leaves no directory when the password is wrong, without showing it', async () => {
    const message = await failsWith(upstream.cloneBare(`http://ada:wrong-pw@${base}`, clone, { timeoutMs: TIMEOUT }), 'auth');
    expect(message).not.toContain('wrong-pw');
    expect(await exists(clone)).toBe(false);
  });

  it('fails with unreachable and never shows the password when nothing listens', async () => {
    const message = await failsWith(
      upstream.cloneBare('http://ada:s3cret@127.0.0.1:1/engine.git', clone, { timeoutMs: TIMEOUT }),
      'unreachable',
    );
    expect(message).not.toContain('s3cret');
    expect(await exists(clone)).toBe(false);
  });
});

describe('pushLanding', () => {
  let tip: string;

  beforeEach(async () => {
    tip = (await upstream.cloneBare(`file://${origin}`, clone, { timeoutMs: TIMEOUT })).tip;
  });

  /** What the Refinery does in the clone: a polecat's commit merged onto `onto`. */
  async function landing(onto: string, file: string): Promise<string> {
    const worktree = path.join(dir, 'polecats', file.replace(/\W/g, '-'));
    await git.ensureWorktree(clone, worktree, `polecat/${file.replace(/\W/g, '-')}`, onto);
    await writeFile(path.join(worktree, file), `work on ${file}\n`);
    const head = await git.commitAll(worktree, `polecat: ${file}`, author);
    if (!head) throw new Error('expected a commit');
    const merge = await git.mergeTree(clone, onto, head);
    if (!merge.clean) throw new Error('expected a clean merge');
    return git.commitTree(clone, merge.tree, [onto, head], `Merge polecat work on ${file}`);
  }

  it('moves the upstream branch and its remote-tracking ref when the expected tip is right', async () => {
    const commit = await landing(tip, 'src/feature.ts');
    expect(await upstream.pushLanding(clone, commit, 'trunk', tip)).toEqual({ status: 'pushed' });
    expect(await tipOf(origin, 'trunk')).toBe(commit);
    expect(await sh(clone, 'rev-parse', 'refs/remotes/origin/trunk')).toBe(commit);
  });

  it('is rejected_stale and keeps their commit when somebody else pushed first', async () => {
    const commit = await landing(tip, 'src/feature.ts');
    const theirs = await theirCommit('trunk', 'README.md', '# engine\n\nTheir docs.\n');

    expect(await upstream.pushLanding(clone, commit, 'trunk', tip)).toEqual({ status: 'rejected_stale' });
    expect(await tipOf(origin, 'trunk')).toBe(theirs);

    // The caller's recovery: fetch, re-merge on the new tip, push again.
    expect(await upstream.fetchUpstream(clone, 'trunk')).toBe(theirs);
    const again = await landing(theirs, 'src/feature2.ts');
    expect(await upstream.pushLanding(clone, again, 'trunk', theirs)).toEqual({ status: 'pushed' });
    expect(await git.isAncestor(origin, theirs, await tipOf(origin, 'trunk'))).toBe(true);
  });

  it('reports pushed without a change when the upstream already holds the commit', async () => {
    const commit = await landing(tip, 'src/feature.ts');
    await upstream.pushLanding(clone, commit, 'trunk', tip);
    // A retry after a crash between the push and its record.
    expect(await upstream.pushLanding(clone, commit, 'trunk', tip)).toEqual({ status: 'pushed' });
    expect(await tipOf(origin, 'trunk')).toBe(commit);
  });

  it('refuses a commit that does not contain the expected tip and leaves the upstream alone', async () => {
    const theirs = await theirCommit('trunk', 'README.md', 'theirs\n');
    await upstream.fetchUpstream(clone, 'trunk');
    const commit = await landing(tip, 'src/feature.ts'); // built on the old tip
    await failsWith(upstream.pushLanding(clone, commit, 'trunk', theirs), 'refused');
    expect(await tipOf(origin, 'trunk')).toBe(theirs);
  });

  it('refuses values git would read as options', async () => {
    await failsWith(upstream.pushLanding(clone, '--delete', 'trunk', tip), 'refused');
    await failsWith(upstream.pushLanding(clone, tip, '--all', tip), 'refused');
    expect(await tipOf(origin, 'trunk')).toBe(tip);
  });

  it('never runs a remote helper even when the clone config names one', async () => {
    // GIT_ALLOW_PROTOCOL holds even where the URL rules cannot look (a hand-edited config).
    const marker = path.join(dir, 'pwned');
    await sh(clone, 'config', 'remote.origin.url', `ext::sh -c touch% ${marker}`);
    expect(await failsWith(upstream.fetchUpstream(clone, 'trunk'), 'failed')).toMatch(/transport 'ext' not allowed/);
    expect(await exists(marker)).toBe(false);
  });

  it('refuses a commit the clone does not have', async () => {
    await failsWith(upstream.pushLanding(clone, 'f'.repeat(40), 'trunk', tip), 'refused');
  });

  it('fails with no_such_branch when fetching a branch the upstream does not have', async () => {
    await failsWith(upstream.fetchUpstream(clone, 'gone'), 'no_such_branch');
  });

  it('publishes a polecat branch, replaces its own earlier push, and never a reviewer commit', async () => {
    const branch = 'polecat/src-feature-ts';
    await landing(tip, 'src/feature.ts');
    expect(await upstream.pushBranch(clone, branch)).toEqual({ status: 'pushed' });
    expect(await tipOf(origin, branch)).toBe(await tipOf(clone, branch));

    await sh(clone, 'update-ref', `refs/heads/${branch}`, tip); // rework starts over
    expect(await upstream.pushBranch(clone, branch)).toEqual({ status: 'pushed' });
    expect(await tipOf(origin, branch)).toBe(tip);

    await sh(other, 'fetch', '-q', 'origin');
    const reviewer = await theirCommit(branch, 'REVIEW.md', 'looks good\n');
    expect(await upstream.pushBranch(clone, branch)).toEqual({ status: 'rejected_stale' });
    expect(await tipOf(origin, branch)).toBe(reviewer);
  });
});

describe('branch rules', () => {
  // Stricter than git on `@` and `HEAD` only, which git reads as the current branch.
  it('agree with git check-ref-format --branch', async () => {
    const names = [
      'main',
      'release/2.4',
      'x@y',
      '-f',
      'a..b',
      'a@{1}',
      'a b',
      'a~1',
      'a:b',
      'a?',
      'a[1]',
      'a\\b',
      '/a',
      'a/',
      'a.',
      '.x',
      'a/.b',
      'a.lock',
    ];
    for (const name of names) {
      const result = await runGit(['check-ref-format', '--branch', name], { cwd: dir, allowExitCodes: [1, 128] });
      expect(branchNameProblem(name) === null, name).toBe(result.code === 0);
    }
  });
});
