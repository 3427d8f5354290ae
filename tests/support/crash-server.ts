/**
 * Helpers for the crash test (tests/integration/crash.test.ts): the real Gas Town Fleet
 * server as a killable process group on a data directory that outlives it, a seeded
 * random source, and read-only views of what survived (the SQLite file and the rig's git
 * repository). Nothing here goes through Next.js: state is read from the database and git
 * directly, so the pages never need to compile.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

// ------------------------------------------------------------------ randomness

/** mulberry32: a small seeded PRNG, so a failing run's kill plan can be replayed. */
export function seeded(seed: number): { next(): number; between(lo: number, hi: number): number } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, between: (lo, hi) => lo + (hi - lo) * next() };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------ the server process

export interface ServerRun {
  readonly index: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything this run printed (stdout and stderr, interleaved as received). */
  output(): string;
  /** Resolves when the process has exited, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGKILL to the whole process group: the node server and its git children. */
  crash(): void;
  /** SIGTERM (graceful stop); SIGKILL to the group after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }>;
}

/**
 * Starts `node --import tsx server/main.ts` in its own process group. Production mode when a build
 * exists (Next only loads it, so the engine gets the CPU and no `next dev` lock is taken
 * in the shared checkout), development otherwise. The engine starts before Next is
 * prepared (see server/main.ts), so either way merges begin at once.
 */
export function startServerProcess(options: {
  index: number;
  dataDir: string;
  logFile: string;
  env?: Record<string, string>;
}): ServerRun {
  // Not the caller's operator token (a test passes its own in `env`) nor vitest's NODE_ENV=test (the mode is chosen below).
  const { GT_OPERATOR_TOKEN: _token, NODE_ENV: _mode, ...env } = process.env;
  const production = existsSync(path.join(ROOT, '.next', 'BUILD_ID'));
  const childEnv: Record<string, string | undefined> = {
    ...env,
    ...(production ? { NODE_ENV: 'production' } : {}),
    HOST: '127.0.0.1',
    PORT: '0',
    GT_DATA_DIR: options.dataDir,
    NEXT_TELEMETRY_DISABLED: '1',
    ...options.env,
  };
  // node with tsx as its loader, not the tsx CLI: the CLI relays SIGTERM and, when the
  // server does not acknowledge it within 30 ms (a loaded machine), SIGKILLs it instead.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: childEnv as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error('could not spawn the server');
  const pid = child.pid;
  let output = '';
  const append = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    appendFileSync(options.logFile, text);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  appendFileSync(
    options.logFile,
    `\n===== run ${options.index} (pid ${pid}, ${production ? 'production' : 'development'}) =====\n`,
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const crash = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return {
    index: options.index,
    pid,
    child,
    output: () => output,
    exited,
    isRunning,
    crash,
    async stop(graceMs = 30_000) {
      let forced = false;
      if (isRunning()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          forced = true;
          crash();
        }, graceMs);
        const result = await exited;
        clearTimeout(timer);
        return { ...result, forced };
      }
      return { ...(await exited), forced };
    },
  };
}

// ------------------------------------------------------------------ git

export interface GitOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export function git(cwd: string, args: string[]): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The target ref's value read straight from the loose ref file (cheap enough to poll
 * every millisecond), falling back to git when the ref is packed. Null before it exists.
 */
export function readRefFast(repo: string, branch = 'main'): string | null {
  try {
    const value = readFileSync(path.join(repo, '.git', 'refs', 'heads', branch), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(value)) return value;
  } catch {
    // not a loose ref (yet)
  }
  try {
    const packed = readFileSync(path.join(repo, '.git', 'packed-refs'), 'utf8');
    const line = packed.split('\n').find((l) => l.endsWith(` refs/heads/${branch}`));
    return line ? line.slice(0, 40) : null;
  } catch {
    return null;
  }
}

/** One commit of the target's first-parent history, oldest first. */
export interface MainCommit {
  sha: string;
  parents: string[];
  subject: string;
  /** From `Merge <branch> (<bead>) via <mr>`; null for other commits. */
  mr: string | null;
  bead: string | null;
}

export async function firstParentHistory(repo: string, branch = 'main'): Promise<MainCommit[]> {
  const { code, stdout, stderr } = await git(repo, ['log', '--first-parent', '--reverse', '--format=%H%x1f%P%x1f%s', branch]);
  if (code !== 0) throw new Error(`git log failed: ${stderr}`);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha, parents, subject] = line.split('\x1f');
      const m = /\((\S+)\) via (mr-[0-9a-z]+)$/.exec(subject);
      return { sha, parents: parents.split(' ').filter(Boolean), subject, mr: m ? m[2] : null, bead: m ? m[1] : null };
    });
}

/** Lock files git leaves behind when killed mid-write (they block later writers). */
export async function staleGitLocks(repo: string): Promise<string[]> {
  const { stdout } = await git(repo, ['rev-parse', '--git-common-dir']);
  const gitDir = path.resolve(repo, stdout.trim());
  const { stdout: found } = await new Promise<{ stdout: string }>((resolve) =>
    execFile('find', [gitDir, '-name', '*.lock'], { encoding: 'utf8' }, (_e, out) => resolve({ stdout: out ?? '' })),
  );
  return found.split('\n').filter(Boolean);
}

// ------------------------------------------------------------------ the database (read-only)

export interface MergeRequestRow {
  id: string;
  beadId: string;
  polecatId: string;
  status: string;
  headSha: string;
  mergeCommit: string | null;
  attempts: number;
}

export interface BeadRow {
  id: string;
  status: string;
  assignee: string | null;
}

export interface PolecatRow {
  id: string;
  state: string;
  beadId: string | null;
}

export interface Snapshot {
  mergeRequests: MergeRequestRow[];
  beads: BeadRow[];
  polecats: PolecatRow[];
  rigs: Array<{ name: string; settings: Record<string, unknown>; counters: Record<string, number> }>;
  townStarts: number;
}

/**
 * Reads the tables the checks need through a short-lived read-only connection (the
 * server may be running, or may have died with its WAL un-checkpointed). Null while the
 * file or its tables do not exist yet (first start, migrations running).
 */
export function readDatabase(file: string): Snapshot | null {
  if (!existsSync(file)) return null;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
    const rigs = db.prepare('SELECT name, settings, counters FROM Rig').all() as Array<{
      name: string;
      settings: string;
      counters: string;
    }>;
    return {
      mergeRequests: db
        .prepare('SELECT id, beadId, polecatId, status, headSha, mergeCommit, attempts FROM MergeRequest ORDER BY enqueuedAt, id')
        .all() as MergeRequestRow[],
      beads: db.prepare('SELECT id, status, assignee FROM Bead ORDER BY createdAt, id').all() as BeadRow[],
      polecats: db.prepare('SELECT id, state, beadId FROM Polecat ORDER BY id').all() as PolecatRow[],
      rigs: rigs.map((r) => ({ name: r.name, settings: JSON.parse(r.settings), counters: JSON.parse(r.counters) })),
      townStarts: (db.prepare("SELECT count(*) AS n FROM Event WHERE type = 'town.started'").get() as { n: number }).n,
    };
  } catch (err) {
    if (err instanceof Error && /no such table|unable to open|SQLITE_BUSY|database is locked/i.test(err.message)) return null;
    throw err;
  } finally {
    db?.close();
  }
}

/** `[gastown]` messages that report errors (failed tracked work, failed writes...), each with its fields block. */
export function errorLines(output: string): string[] {
  const lines = output.split('\n');
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/\[gastown\].*(failed|error|too long|cannot)/i.test(lines[i])) continue;
    let text = lines[i].trim();
    // console.error prints the fields object on the following lines, up to a closing brace.
    if (text.endsWith('{')) {
      while (++i < lines.length) {
        text += ' ' + lines[i].trim();
        if (lines[i].startsWith('}')) break;
      }
    }
    found.push(text);
  }
  return found;
}
