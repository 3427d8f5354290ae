/**
 * The in-process commit writer (server/git/loose-object.ts) against real git in fresh
 * temp repositories: the object it writes is the one `git commit-tree` writes for the
 * same input (same id, readable by git, clean under `git fsck --strict`), writing it again
 * is harmless, bad input is refused before anything is written, and a process killed
 * while writing never leaves a broken object. Then CliGit.commitTree, which uses it.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat, writeFile, mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CliGit, initRepository } from '@/server/git/cli-git';
import {
  UnsupportedObjectError,
  writeCommitObject,
  type CommitObject,
  type GitDate,
  type Identity,
} from '@/server/git/loose-object';
import { GIT_IDENTITY, runGit } from '@/server/git/run-git';
import { processRunner } from '@/server/spawner/spawner';

const ROOT = path.resolve(import.meta.dirname, '../..');
const git = new CliGit();
const polecat = { name: 'polecat', email: 'polecat@localhost' };

let dir: string;
let repo: string;
let gitDir: string;
let initial: string;
let ours: string;
let theirs: string;
let tree: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gastown-loose-'));
  repo = path.join(dir, 'repo');
  gitDir = path.join(repo, '.git');
  initial = await initRepository(repo, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  // Two commits off the initial one, each changing its own file: a clean merge.
  await writeFile(path.join(repo, 'a.txt'), 'ours\n');
  ours = (await git.commitAll(repo, 'ours', polecat))!;
  await runGit(['checkout', '-q', '--detach', initial], { cwd: repo });
  await writeFile(path.join(repo, 'b.txt'), 'theirs\n');
  theirs = (await git.commitAll(repo, 'theirs', polecat))!;
  const merged = await git.mergeTree(repo, ours, theirs);
  if (!merged.clean) throw new Error('expected a clean merge');
  tree = merged.tree;
});

afterEach(async () => {
  const check = await runGit(['fsck', '--strict', '--no-progress'], { cwd: repo, allowExitCodes: [1, 2, 3, 4, 5, 6, 7] });
  await rm(dir, { recursive: true, force: true });
  expect(check.code, check.stderr).toBe(0);
  expect(check.stderr).not.toMatch(/error|bad|broken|missing/i);
});

/** `git commit-tree` with fixed identities and dates: the reference. */
async function gitCommitTree(
  parents: string[],
  message: string,
  when: string,
  author: Identity = GIT_IDENTITY,
  committer: Identity = GIT_IDENTITY,
): Promise<string> {
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message];
  const env = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
    GIT_AUTHOR_DATE: when,
    GIT_COMMITTER_DATE: when,
  };
  return (await runGit(args, { cwd: repo, env })).stdout.trim();
}

function commit(over: Partial<CommitObject> = {}): CommitObject {
  return {
    tree,
    parents: [ours, theirs],
    message: 'Merge polecat/a (gt-1) via mr-1',
    author: GIT_IDENTITY,
    committer: GIT_IDENTITY,
    date: { seconds: 1_700_000_000, offsetMinutes: 90 },
    ...over,
  };
}

function objectPath(id: string): string {
  return path.join(gitDir, 'objects', id.slice(0, 2), id.slice(2));
}

/** Every file in the loose-object fan-out directories (objects/00 .. objects/ff). */
async function looseFiles(): Promise<string[]> {
  const objects = path.join(gitDir, 'objects');
  const files: string[] = [];
  for (const sub of await readdir(objects)) {
    if (!/^[0-9a-f]{2}$/.test(sub)) continue;
    for (const name of await readdir(path.join(objects, sub))) files.push(`${sub}/${name}`);
  }
  return files.sort();
}

interface Case {
  title: string;
  date: GitDate;
  when: string;
  message: string;
  parents?: 'merge' | 'one' | 'none' | 'duplicate';
  author?: Identity;
  committer?: Identity;
}

const cases: Case[] = [
  {
    title: 'a merge at +0130',
    date: { seconds: 1_700_000_000, offsetMinutes: 90 },
    when: '1700000000 +0130',
    message: 'Merge a',
  },
  {
    title: 'a merge at -0700 whose message ends in a newline',
    date: { seconds: 1_700_000_000, offsetMinutes: -420 },
    when: '1700000000 -0700',
    message: 'Merge b\n',
  },
  {
    title: 'a message ending in two newlines, at -0330',
    date: { seconds: 1_700_000_123, offsetMinutes: -210 },
    when: '1700000123 -0330',
    message: 'Merge c\n\n',
  },
  {
    title: 'a body with CRLF and non-ASCII text, at the epoch',
    date: { seconds: 0, offsetMinutes: 0 },
    when: '@0 +0000', // git reads a bare 0 as no date: '@' marks seconds since the epoch
    message: 'Merge ünïcødé ✓ 🚀\n\nbody line\r\n\tindented',
  },
  { title: 'an empty message', date: { seconds: 1_700_000_000, offsetMinutes: 330 }, when: '1700000000 +0530', message: '' },
  {
    title: 'one parent and other identities',
    date: { seconds: 1_234_567_890, offsetMinutes: -60 },
    when: '1234567890 -0100',
    message: 'single',
    parents: 'one',
    author: { name: 'Ada Lovelace-Byron', email: 'ada@example.com' },
    committer: { name: 'Zoë (bot) [ci]', email: '' },
  },
  {
    title: 'a root commit',
    date: { seconds: 1_700_000_000, offsetMinutes: 0 },
    when: '1700000000 +0000',
    message: 'root',
    parents: 'none',
  },
  {
    title: 'a parent given twice (commit-tree ignores the second)',
    date: { seconds: 1_700_000_000, offsetMinutes: 60 },
    when: '1700000000 +0100',
    message: 'dup',
    parents: 'duplicate',
  },
];

describe('writeCommitObject', () => {
  it.each(cases)('writes the object git commit-tree writes: $title', async (c) => {
    const parents = {
      merge: [ours, theirs],
      one: [ours],
      none: [],
      duplicate: [ours, theirs, ours],
    }[c.parents ?? 'merge'];
    const author = c.author ?? GIT_IDENTITY;
    const committer = c.committer ?? GIT_IDENTITY;

    const id = await writeCommitObject(gitDir, { tree, parents, message: c.message, author, committer, date: c.date });
    // Written first, so git finds the object present and what git reads below is ours.
    expect(id).toBe(await gitCommitTree(parents, c.message, c.when, author, committer));

    const content = (await runGit(['cat-file', 'commit', id], { cwd: repo })).stdout;
    const stored = inflateSync(await readFile(objectPath(id)));
    expect(stored.equals(Buffer.concat([Buffer.from(`commit ${Buffer.byteLength(content)}\0`), Buffer.from(content)]))).toBe(
      true,
    );
    expect((await stat(objectPath(id))).mode & 0o777).toBe(0o444);
    const pretty = (await runGit(['cat-file', '-p', id], { cwd: repo })).stdout;
    expect(pretty).toContain(`tree ${tree}\n`);
    const when = c.when.replace(/^@/, '');
    expect(pretty).toContain(`author ${author.name} <${author.email}> ${when}\n`);
    expect(pretty).toContain(`committer ${committer.name} <${committer.email}> ${when}\n`);
    expect((await looseFiles()).filter((f) => f.includes('tmp_obj_'))).toEqual([]);
  });

  it('makes a new fan-out directory group-writable in a group-shared repository, as git does', async () => {
    // The agent sandbox shares rig repositories with the agent's group (spawner/sandbox.ts):
    // a directory the server made 0755 would refuse that agent's next commit.
    const shared = await mkdtemp(path.join(os.tmpdir(), 'gt-shared-'));
    try {
      await runGit(['init', '--bare', '--shared=group', '-q', shared], { cwd: os.tmpdir() }); // git's own: objects/ g+ws
      const id = await writeCommitObject(shared, commit({ message: 'shared' }));
      const fanOut = path.join(shared, 'objects', id.slice(0, 2));
      expect((await stat(fanOut)).mode & 0o2070).toBe(0o2070);
      expect((await runGit(['cat-file', '-t', id], { cwd: shared })).stdout.trim()).toBe('commit');
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('ends the message with one newline, as commit-tree -m does: "m" and "m\\n" are one commit, "m\\n\\n" another', async () => {
    const plain = await writeCommitObject(gitDir, commit({ message: 'm' }));
    expect(await writeCommitObject(gitDir, commit({ message: 'm\n' }))).toBe(plain);
    const twice = await writeCommitObject(gitDir, commit({ message: 'm\n\n' }));
    expect(twice).not.toBe(plain);
    expect((await runGit(['cat-file', 'commit', plain], { cwd: repo })).stdout.endsWith('\n\nm\n')).toBe(true);
    expect((await runGit(['cat-file', 'commit', twice], { cwd: repo })).stdout.endsWith('\n\nm\n\n')).toBe(true);
  });

  it('writes an object once: writing it again, even concurrently, changes nothing', async () => {
    const id = await writeCommitObject(gitDir, commit());
    const bytes = await readFile(objectPath(id));
    const again = await Promise.all([1, 2, 3, 4, 5].map(() => writeCommitObject(gitDir, commit())));
    expect(again).toEqual([id, id, id, id, id]);
    expect((await readFile(objectPath(id))).equals(bytes)).toBe(true);
    expect((await looseFiles()).filter((f) => f.includes('tmp_obj_'))).toEqual([]);
  });

  it('refuses bad input without writing anything', async () => {
    const before = await looseFiles();
    const unsupported: Partial<CommitObject>[] = [
      { parents: [ours, 'HEAD'] },
      { parents: [ours, theirs.toUpperCase()] },
      { parents: [ours.slice(0, 39)] },
      { parents: [`${ours}${'0'.repeat(24)}`] }, // a SHA-256 id
      { tree: 'main^{tree}' },
      { message: 'noncharacter \uffff' }, // git would rewrite it as Latin-1
      { message: 'lone surrogate \ud800' },
    ];
    for (const over of unsupported) await expect(writeCommitObject(gitDir, commit(over))).rejects.toThrow(UnsupportedObjectError);

    const refused: Partial<CommitObject>[] = [
      { author: { name: 'Evil <x@y>', email: 'e@x' } },
      { author: { name: 'Evil', email: 'e@x> 0 +0000\nparent x' } },
      { committer: { name: 'Two\nLines', email: 'e@x' } },
      { committer: { name: '', email: 'e@x' } },
      { author: { name: ' padded', email: 'e@x' } },
      { author: { name: 'Jr.', email: 'e@x' } }, // git strips the final '.'
      { message: 'a NUL \0 byte' },
      { date: { seconds: -1, offsetMinutes: 0 } },
      { date: { seconds: 1.5, offsetMinutes: 0 } },
      { date: { seconds: 0, offsetMinutes: 6000 } },
    ];
    for (const over of refused) {
      const attempt = writeCommitObject(gitDir, commit(over));
      await expect(attempt).rejects.toThrow(/Refusing/);
      await expect(attempt).rejects.not.toThrow(UnsupportedObjectError);
    }
    expect(await looseFiles()).toEqual(before);
  });

  it('dates a commit now, in the local time zone, as git does', async () => {
    const saved = process.env.TZ;
    try {
      for (const tz of ['Asia/Kolkata', 'America/St_Johns', 'UTC', 'Pacific/Chatham']) {
        process.env.TZ = tz;
        const before = Math.floor(Date.now() / 1000);
        const id = await writeCommitObject(gitDir, commit({ date: undefined, message: `now in ${tz}` }));
        const after = Math.floor(Date.now() / 1000);
        const content = (await runGit(['cat-file', 'commit', id], { cwd: repo })).stdout;
        const [, seconds, offset] = /\ncommitter Gas Town <gastown@localhost> (\d+) ([+-]\d{4})\n/.exec(content)!;
        expect(Number(seconds)).toBeGreaterThanOrEqual(before);
        expect(Number(seconds)).toBeLessThanOrEqual(after);
        // git's own idea of now here (runGit passes TZ on).
        const ident = (await runGit(['var', 'GIT_COMMITTER_IDENT'], { cwd: repo })).stdout.trim();
        expect(ident.slice(-5), tz).toBe(offset);
        expect(content).toContain(`\nauthor Gas Town <gastown@localhost> ${seconds} ${offset}\n`);
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('leaves only what git fsck ignores when a write is cut short', async () => {
    // What a write killed mid-way leaves: a partial tmp_obj_ file beside the objects.
    const id = await writeCommitObject(gitDir, commit());
    const full = await readFile(objectPath(id));
    await writeFile(path.join(path.dirname(objectPath(id)), 'tmp_obj_Ab12Cd'), full.subarray(0, 7), { mode: 0o444 });
    const check = await runGit(['fsck', '--strict', '--no-progress'], { cwd: repo });
    expect(check.stderr).not.toMatch(/tmp_obj|error|bad/i);
  });

  // A smoke test: a kill lands between a write's open and its last byte only now and then
  // (a writer that wrote objects under their final names failed about one kill in six).
  // The guarantee is the design: an object's name only ever links a complete file.
  it('never leaves a truncated object when the writing process is SIGKILLed', async () => {
    const written: string[] = [];
    for (let kill = 0; kill < 8; kill++) {
      const first = String(1_700_000_000 + kill * 1_000_000); // new objects every run
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'tests/support/commit-writer-loop.ts', gitDir, tree, ours, first],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          resolve(); // writing: kill it at some moment within the next few writes
        });
        child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
      });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
      child.kill('SIGKILL');
      await exited;
      written.push(...out.split('\n').slice(0, -1)); // a last line without "\n" may be cut
    }
    expect(written.length).toBeGreaterThan(0);
    // Every file under an object's name is a whole object whose hash is its name.
    for (const file of await looseFiles()) {
      if (file.includes('tmp_obj_')) continue;
      const object = inflateSync(await readFile(path.join(gitDir, 'objects', file)));
      expect(createHash('sha1').update(object).digest('hex')).toBe(file.replace('/', ''));
    }
    for (const id of written) await runGit(['cat-file', '-e', id], { cwd: repo });
  });
});

describe('CliGit.commitTree', () => {
  it('writes the merge commit in-process: the tree and parents git reads back, the object commit-tree would write', async () => {
    const commitId = await git.commitTree(repo, tree, [ours, theirs], 'Merge polecat/a (gt-1) via mr-1');
    const revParse = async (spec: string) => (await runGit(['rev-parse', spec], { cwd: repo })).stdout.trim();
    expect(await revParse(`${commitId}^{tree}`)).toBe(tree);
    expect(await revParse(`${commitId}^1`)).toBe(ours);
    expect(await revParse(`${commitId}^2`)).toBe(theirs);
    expect(await runGit(['rev-parse', '-q', '--verify', `${commitId}^3`], { cwd: repo, allowExitCodes: [1] })).toMatchObject({
      code: 1,
    });

    const content = (await runGit(['cat-file', 'commit', commitId], { cwd: repo })).stdout;
    const when = /\ncommitter Gas Town <gastown@localhost> (\d+ [+-]\d{4})\n/.exec(content)![1];
    expect(content).toContain(`\nauthor Gas Town <gastown@localhost> ${when}\n`);
    expect(await gitCommitTree([ours, theirs], 'Merge polecat/a (gt-1) via mr-1', when)).toBe(commitId);
  });

  it('spawns no process once it knows the repository', async () => {
    await git.commitTree(repo, tree, [ours, theirs], 'first'); // looks the repository up
    const run = vi.spyOn(processRunner(), 'run');
    try {
      const commitId = await git.commitTree(repo, tree, [ours, theirs], 'second');
      expect(run).not.toHaveBeenCalled();
      expect((await runGit(['rev-parse', `${commitId}^2`], { cwd: repo })).stdout.trim()).toBe(theirs);
    } finally {
      run.mockRestore();
    }
  });

  it('writes into the common object store when given a linked worktree', async () => {
    const worktree = path.join(dir, 'wt');
    await git.ensureWorktree(repo, worktree, 'polecat/wt', ours);
    const commitId = await git.commitTree(worktree, tree, [ours, theirs], 'from a worktree');
    await stat(objectPath(commitId));
    expect((await runGit(['rev-parse', `${commitId}^{tree}`], { cwd: repo })).stdout.trim()).toBe(tree);
  });

  it('leaves to git commit-tree: revision names, text git re-encodes, and GIT_*_DATE in the environment', async () => {
    const named = await git.commitTree(repo, `${theirs}^{tree}`, ['HEAD'], 'named');
    expect((await runGit(['rev-parse', `${named}^1`], { cwd: repo })).stdout.trim()).toBe(theirs);

    const odd = await git.commitTree(repo, tree, [ours], 'noncharacter \uffff');
    const message = (await runGit(['cat-file', 'commit', odd], { cwd: repo })).stdout.split('\n\n')[1];
    expect(message).not.toBe('noncharacter \uffff\n'); // git rewrote it as Latin-1

    const saved = { a: process.env.GIT_AUTHOR_DATE, c: process.env.GIT_COMMITTER_DATE };
    try {
      process.env.GIT_AUTHOR_DATE = '1600000000 +0200';
      process.env.GIT_COMMITTER_DATE = '1600000000 +0200';
      const dated = await git.commitTree(repo, tree, [ours, theirs], 'dated');
      expect(dated).toBe(await gitCommitTree([ours, theirs], 'dated', '1600000000 +0200'));
    } finally {
      for (const [name, value] of [
        ['GIT_AUTHOR_DATE', saved.a],
        ['GIT_COMMITTER_DATE', saved.c],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('leaves a SHA-256 repository to git commit-tree', async () => {
    const sha256 = path.join(dir, 'sha256');
    await mkdir(sha256);
    await runGit(['init', '-q', '--object-format=sha256', '-b', 'main'], { cwd: sha256 });
    await writeFile(path.join(sha256, 'f.txt'), 'f\n');
    const base = (await git.commitAll(sha256, 'base', polecat))!;
    await writeFile(path.join(sha256, 'g.txt'), 'g\n');
    const head = (await git.commitAll(sha256, 'head', polecat))!;
    const merged = await git.mergeTree(sha256, base, head);
    if (!merged.clean) throw new Error('expected a clean merge');
    const commitId = await git.commitTree(sha256, merged.tree, [base, head], 'merge');
    expect(commitId).toMatch(/^[0-9a-f]{64}$/);
    expect((await runGit(['rev-parse', `${commitId}^{tree}`], { cwd: sha256 })).stdout.trim()).toBe(merged.tree);
  });
});
