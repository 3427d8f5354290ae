/**
 * Fixtures shared by the Refinery benchmarks: generated repositories of a given size,
 * prepared branches (written in one `git fast-import` stream, so preparing hundreds costs
 * one process), a Town opened on a store that already holds queued merge requests (the
 * engine's own restart path, so no engine code is added for the benchmark), and the
 * landing order read back from git.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScriptedAgentRuntime } from '../server/agents/scripted-agent';
import type { Clock } from '../server/engine/clock';
import type { MergeRequest, Rig, RigSettings } from '../contracts/records';
import type { CheckPort, GitPort, TownStore } from '../server/engine/ports';
import { seededRandom, type Random } from '../server/engine/random';
import { createEngine } from '../server/engine/assembly';
import { DEFAULT_RIG_SETTINGS } from '../server/engine/rig-settings';
import type { Town } from '../server/engine/town';
import { runGit } from '../server/git/run-git';
import { CheckRunner } from '../server/checks/check-runner';
import { MemoryStore } from '../server/store/memory-store';

export const MARKER = 'GT_CHECK_' + 'FAIL';

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Path of generated file `i`: nested like a real source tree, at most 32 entries a directory. */
export function filePath(i: number): string {
  const leaf = i % 32;
  const mid = Math.floor(i / 32) % 32;
  const top = Math.floor(i / 1024);
  return `src/pkg${top}/mod${mid}/file${leaf}.ts`;
}

function fileContent(i: number): string {
  return `// generated module ${i}\nexport const value${i} = ${i};\nexport function f${i}(x: number): number {\n  return x + ${i};\n}\n`;
}

/**
 * A repository with `files` generated files in one commit on `main`, written with fs
 * and committed with one `git add -A`. The primary worktree is left detached, like
 * initRepository does (the Refinery never checks its target out). Returns the commit.
 */
export async function generateRepository(repo: string, files: number): Promise<string> {
  await mkdir(repo, { recursive: true });
  await runGit(['init', '-q', '-b', 'main'], { cwd: repo });
  const dirs = new Set<string>();
  for (let i = 0; i < files; i++) dirs.add(path.dirname(filePath(i)));
  for (const d of dirs) await mkdir(path.join(repo, d), { recursive: true });
  const CHUNK = 256;
  for (let start = 0; start < files; start += CHUNK) {
    const writes: Promise<void>[] = [];
    for (let i = start; i < Math.min(files, start + CHUNK); i++) {
      writes.push(writeFile(path.join(repo, filePath(i)), fileContent(i)));
    }
    await Promise.all(writes);
  }
  await runGit(['add', '-A'], { cwd: repo });
  await runGit(['commit', '-q', '-m', `Initial commit (${files} files)`], { cwd: repo });
  await runGit(['checkout', '-q', '--detach'], { cwd: repo });
  return (await runGit(['rev-parse', 'HEAD'], { cwd: repo })).stdout.trim();
}

export interface PreparedBranch {
  name: string;
  head: string;
  files: string[];
  /** The branch also adds the check-failure marker file. */
  failing: boolean;
}

/**
 * `count` branches off `base`, each changing 1-3 files no other branch touches (so every
 * merge is clean, in any order). With `failureRate`, round(failureRate × count) of them,
 * drawn by a seeded shuffle, also write the marker file `GT_CHECK_FAIL` (same content
 * everywhere, so two such branches still merge cleanly): the realised rate is the
 * nominal one, not a coin-flip away from it. Deterministic for a given seed.
 */
export async function prepareBranches(
  repo: string,
  base: string,
  options: { count: number; files: number; prefix: string; seed: number; failureRate?: number },
): Promise<PreparedBranch[]> {
  const random = seededRandom(options.seed);
  const order = shuffledIndexes(options.files, random);
  const failingCount = Math.round((options.failureRate ?? 0) * options.count);
  const failingSet = new Set(shuffledIndexes(options.count, random).slice(0, failingCount));
  let next = 0;
  const branches: PreparedBranch[] = [];
  const chunks: Buffer[] = [];
  const data = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    chunks.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  };
  for (let b = 0; b < options.count; b++) {
    const name = `${options.prefix}/${String(b).padStart(4, '0')}`;
    const n = 1 + Math.floor(random.next() * 3);
    if (next + n > order.length) throw new Error(`not enough files for ${options.count} disjoint branches`);
    const picked = order.slice(next, next + n);
    next += n;
    const failing = failingSet.has(b);
    chunks.push(
      Buffer.from(`commit refs/heads/${name}\nmark :${b + 1}\ncommitter Bench <bench@localhost> ${1_767_225_600 + b} +0000\n`),
    );
    data(`${name}: change ${picked.length} file(s)\n`);
    chunks.push(Buffer.from(`from ${base}\n`));
    for (const i of picked) {
      chunks.push(Buffer.from(`M 100644 inline ${filePath(i)}\n`));
      data(`${fileContent(i)}export const changedBy${b} = '${name}';\n`);
    }
    if (failing) {
      chunks.push(Buffer.from(`M 100644 inline ${MARKER}\n`));
      data(`${MARKER}\n`);
    }
    branches.push({ name, head: '', files: picked.map(filePath), failing });
  }
  await fastImport(repo, Buffer.concat(chunks));
  const { stdout } = await runGit(['for-each-ref', '--format=%(refname:short) %(objectname)', `refs/heads/${options.prefix}/`], {
    cwd: repo,
  });
  const heads = new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
  for (const branch of branches) branch.head = heads.get(branch.name) ?? '';
  if (branches.some((b) => !b.head)) throw new Error('fast-import did not create every branch');
  return branches;
}

function shuffledIndexes(n: number, random: Random): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function fastImport(repo: string, stream: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], { cwd: repo, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}: ${stderr}`))));
    child.stdin.end(stream);
  });
}

/** Merge requests for prepared branches, enqueued in array order with one priority. */
export function mergeRequestsFor(branches: PreparedBranch[], rig: string, enqueuedFrom: number): MergeRequest[] {
  return branches.map((b, i) => {
    const n = String(i).padStart(4, '0');
    return {
      id: `mr-${n}`,
      rig,
      polecatId: `${rig}/bench`,
      beadId: `gt-bench${n}`,
      branch: b.name,
      headSha: b.head,
      status: 'queued',
      priority: 2,
      attempts: 1,
      mergeCommit: null,
      conflictFiles: [],
      failedCheck: null,
      checkOutput: null,
      checkRuns: [],
      enqueuedAt: enqueuedFrom + i,
      updatedAt: enqueuedFrom + i,
      landedAt: null,
    };
  });
}

/**
 * A Town whose store already holds one rig and its queued merge requests: `createEngine`
 * loads them into the rig's MergeQueue and real Refinery exactly as after a restart, and
 * `start()` lets the Refinery drain them. No polecats or beads exist; the Town's hooks
 * tolerate that (a landed request completes nothing, a rejected one has nobody to rework it).
 */
export async function openTownWithQueue(options: {
  dir: string;
  repo: string;
  clock: Clock;
  git: GitPort;
  mergeRequests: MergeRequest[];
  settings: Partial<RigSettings>;
  store?: TownStore;
  checks?: CheckPort;
  rigName?: string;
}): Promise<Town> {
  const store = options.store ?? new MemoryStore();
  const rig: Rig = {
    name: options.rigName ?? 'bench',
    repoPath: options.repo,
    targetBranch: 'main',
    status: 'active',
    settings: { ...DEFAULT_RIG_SETTINGS, ...options.settings },
    createdAt: options.clock.now(),
    counters: { merged: 0, conflicts: 0, rejected: 0, reworkedMerged: 0 },
    lineage: null,
  };
  await store.saveRig(rig);
  for (const mr of options.mergeRequests) await store.saveMergeRequest(mr);
  return createEngine({
    clock: options.clock,
    git: options.git,
    store,
    agents: new ScriptedAgentRuntime({ clock: options.clock, git: options.git }),
    checks: options.checks ?? new CheckRunner({ scratchRoot: path.join(options.dir, 'scratch') }),
    workDir: options.dir,
    random: seededRandom(7),
  });
}

/** Merge request ids in the order their merge commits landed (first-parent history). */
export async function landingOrder(repo: string, base: string, ref = 'refs/heads/main'): Promise<string[]> {
  const { stdout } = await runGit(['log', '--first-parent', '--reverse', '--format=%s', `${base}..${ref}`], {
    cwd: repo,
  });
  return stdout
    .split('\n')
    .filter((s) => s.length > 0)
    .map((subject) => {
      const m = /\bvia (mr-[\w-]+)/.exec(subject);
      if (!m) throw new Error(`landed commit without a merge request id: ${subject}`);
      return m[1];
    });
}

export type CallTimes = Map<string, { n: number; ms: number }>;

/**
 * `target` with calls and real ms counted per async method (a GitPort: where the
 * Refinery's git time goes; a store: what persistence costs). A Proxy, so it keeps up
 * with the port whatever methods it grows.
 */
export function timed<T extends object>(target: T): { proxy: T; calls: CallTimes } {
  const calls: CallTimes = new Map();
  const proxy = new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
        } finally {
          const entry = calls.get(prop) ?? { n: 0, ms: 0 };
          entry.n++;
          entry.ms += performance.now() - started;
          calls.set(prop, entry);
        }
      };
    },
  });
  return { proxy, calls };
}

/** Waits for `work`, failing loudly if it takes longer than `ms` (a stalled benchmark). */
export function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
