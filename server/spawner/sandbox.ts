/**
 * Keeps the town's secrets out of its agents' and checks' reach. An agent runs whatever a
 * prompt talked it into, so it must not be able to read the operator token (`auth.json`,
 * `cli.json`), the database, or the server's environment (`/proc/<server>/environ`).
 * docs/agents.md says exactly what an agent can and cannot reach; the modes:
 *
 * - **user** (the server runs as root, as CI does): agents and checks run as an
 *   unprivileged user, `gt-agent` (created at first need with `useradd --system`; `nobody`
 *   where that fails; `GT_AGENT_USER` names another). The secret files are 0600 root, the
 *   data directory is searchable but not listable, and a root process's /proc is closed to
 *   other users. What the agent needs is granted, no more: its worktree's files (chowned),
 *   the worktree's own git data (HEAD, index, logs), the repository's object store (group
 *   shared, `core.sharedRepository=group`) and its own branch ref. The worktree's top
 *   directory and its `.git` file stay root's (sticky, like /tmp), so the agent cannot point
 *   the server's git at a repository of its making; the target branch's ref stays root's.
 * - **namespace** (any other user, where the kernel allows unprivileged user namespaces):
 *   the process starts inside `unshare` with its own mount and pid namespaces: the secret
 *   files are covered by /dev/null, /proc shows only the agent's own processes, and all
 *   capabilities are dropped before the agent's program runs, so it cannot undo the mounts.
 * - **none** (no namespaces): only the environment is cleaned; a same-user agent can read
 *   the files. The server warns at start.
 *
 * In every mode the process gets the server's environment minus the town's own `GT_*`
 * settings (tokens, session secret), and a HOME and TMPDIR of its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from '../git/run-git';
import { processRunner } from './spawner';

export type SandboxMode = 'user' | 'namespace' | 'none';

/** How to start sandboxed processes in a prepared tree. */
export interface SandboxedStart {
  /** The argv to start instead of the program's own (the program wrapped, or as it was). */
  wrap(argv: string[]): string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

export interface SandboxRequest {
  /** The process's working tree (a polecat's worktree, a check's scratch worktree). */
  cwd: string;
  /** `commit`: the process commits on `branch` (an agent); `tree`: it only edits files (a check). */
  access: { kind: 'commit'; branch: string } | { kind: 'tree' };
  /** A directory of the process's own for HOME and TMPDIR (created). */
  home: string;
  /** Environment of the process, over the cleaned server environment. */
  env?: Record<string, string>;
}

export interface Sandbox {
  readonly mode: SandboxMode;
  /** The unprivileged user agents run as (mode `user`). */
  readonly user: { name: string; uid: number; gid: number } | null;
  /** Grants what the process needs and says how to start it. */
  prepare(request: SandboxRequest): Promise<SandboxedStart>;
}

/** Files of the data directory no agent may read (the database's journals included). */
export function secretFiles(dataDir: string): string[] {
  const db = path.join(dataDir, 'gastown.db');
  return [path.join(dataDir, 'auth.json'), path.join(dataDir, 'cli.json'), db, `${db}-wal`, `${db}-shm`, `${db}-journal`];
}

/**
 * Makes the secret files readable by the server's user only. `writeFile(..., {mode})` sets
 * a mode only when it creates a file, so an older, wider mode is narrowed here.
 */
export async function protectSecrets(dataDir: string): Promise<void> {
  for (const file of secretFiles(dataDir)) await chmod(file, 0o600).catch(() => {});
}

/** The server's environment minus its own `GT_*` settings: the operator token, the session secret. */
export function cleanEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => !e[0].startsWith('GT_') && e[1] !== undefined),
  );
}

/**
 * Run inside the namespace as its root, before the program: cover each secret path with
 * /dev/null, then drop every capability (so the mounts cannot be undone) and exec the
 * program. A fixed script: the paths and the program arrive as arguments, never as text.
 */
const NAMESPACE_SCRIPT =
  'while [ "$#" -gt 0 ] && [ "$1" != -- ]; do mount --bind /dev/null "$1" || exit 97; shift; done; shift; ' +
  'exec setpriv --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"';
const UNSHARE = ['unshare', '--user', '--map-root-user', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--'];

function namespaceArgv(secrets: string[], argv: string[]): string[] {
  return [...UNSHARE, 'sh', '-c', NAMESPACE_SCRIPT, 'gt-sandbox', ...secrets, '--', ...argv];
}

/** Whether this kernel lets us build the namespace (probed once: `unshare` may be refused). */
function namespacesWork(): boolean {
  const probe = spawnSync(namespaceArgv([], ['true'])[0], namespaceArgv([], ['true']).slice(1), { timeout: 10_000 });
  return probe.status === 0;
}

const AGENT_USER = 'gt-agent';

function idOf(name: string): { uid: number; gid: number } | null {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The unprivileged user: `GT_AGENT_USER`, else gt-agent (created), else nobody. */
function agentUser(wanted: string | undefined): { name: string; uid: number; gid: number } {
  if (wanted) {
    const ids = idOf(wanted);
    if (!ids || ids.uid === 0) throw new Error(`GT_AGENT_USER=${wanted} is not an unprivileged user of this machine`);
    return { name: wanted, ...ids };
  }
  let ids = idOf(AGENT_USER);
  if (!ids) {
    // Another server (a parallel test) may create it at the same moment: look again after.
    spawnSync('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      AGENT_USER,
    ]);
    ids = idOf(AGENT_USER);
  }
  if (ids) return { name: AGENT_USER, ...ids };
  const nobody = idOf('nobody');
  if (!nobody) throw new Error('no unprivileged user to run agents as: create one and set GT_AGENT_USER');
  return { name: 'nobody', ...nobody };
}

/** The environment every sandboxed process gets, whatever the mode. */
function baseEnvironment(request: SandboxRequest, home: string): Record<string, string> {
  return { ...cleanEnvironment(), ...request.env, HOME: home, TMPDIR: path.join(request.home, 'tmp') };
}

class NamespaceSandbox implements Sandbox {
  readonly user = null;
  constructor(
    readonly mode: 'namespace' | 'none',
    private readonly secrets: string[],
    private readonly fixedHome: string | undefined,
  ) {}

  async prepare(request: SandboxRequest): Promise<SandboxedStart> {
    await mkdir(path.join(request.home, 'tmp'), { recursive: true });
    const env = baseEnvironment(request, this.fixedHome ?? request.home);
    if (this.mode === 'none') return { wrap: (argv) => argv, env };
    // Only existing files can be covered; one created later would be visible, so the
    // server creates its secret files before any agent starts (main.ts).
    const present = this.secrets.filter((file) => existsSync(file));
    return { wrap: (argv) => namespaceArgv(present, argv), env };
  }
}

/**
 * chown without following symlinks (`-P -h`): an agent's symlink must never redirect it.
 * Only root's files change hands (`--from=0`): a file the agent already owns keeps its
 * ctime, so git's index (which compares owner and ctime) still knows it is unchanged.
 */
async function chownTree(owner: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  const result = await processRunner().run({
    argv: ['chown', '-R', '-P', '-h', '--from=0', owner, '--', ...paths],
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    output: { mode: 'full', limit: 64 * 1024 },
  });
  // A file that vanished meanwhile (the agent's own temp file) is no reason to fail.
  if (result.code !== 0 && !/No such file/.test(result.stderr)) throw new Error(`chown failed: ${result.stderr.trim()}`);
}

/**
 * A chown changes what git's index recorded of each file (owner, ctime), and `checkout -f`
 * rewrites every file whose record no longer matches: 500 files rewritten before each check
 * of a scratch worktree (a quarter of a second) for no change at all. A refresh compares the
 * content of each such file and records it again where it is unchanged, so the next checkout
 * rewrites only files that really changed (a check that edits a file and forges its mtime is
 * still caught: its content differs). Best effort: the tree may not be a git worktree.
 */
async function refreshIndex(tree: string): Promise<void> {
  if (!existsSync(path.join(tree, '.git'))) return;
  await runGit(['update-index', '-q', '--refresh'], { cwd: tree }).catch(() => undefined);
}

class UserSandbox implements Sandbox {
  readonly mode = 'user';
  /** Repositories already made group-shared for the agent user (once per server). */
  private readonly sharedRepos = new Map<string, Promise<void>>();
  /** Directories known to be searchable by others. */
  private readonly searchable = new Set<string>();
  /** PATH values and what the agent user can search of them. */
  private readonly paths = new Map<string, string>();

  constructor(
    readonly user: { name: string; uid: number; gid: number },
    private readonly fixedHome: string | undefined,
  ) {}

  /**
   * PATH without the directories the agent user cannot search (root's ~/.cargo/bin, say):
   * there a missing program would be "permission denied" instead of "not found".
   */
  private searchPath(value: string): string {
    const open = (dir: string): boolean => {
      for (let d = dir; ; d = path.dirname(d)) {
        const mode = statSync(d, { throwIfNoEntry: false })?.mode;
        if (mode === undefined || (mode & 0o001) === 0) return false;
        if (d === path.dirname(d)) return true;
      }
    };
    let searchable = this.paths.get(value);
    if (searchable === undefined) {
      searchable = value
        .split(':')
        .filter((dir) => path.isAbsolute(dir) && open(dir))
        .join(':');
      this.paths.set(value, searchable);
    }
    return searchable;
  }

  async prepare(request: SandboxRequest): Promise<SandboxedStart> {
    const { uid, gid } = this.user;
    const owner = `${uid}:${gid}`;
    const home = this.fixedHome ?? request.home;
    await mkdir(path.join(request.home, 'tmp'), { recursive: true });
    if (!this.fixedHome) await chownTree(owner, [request.home]);
    await this.reachable([request.cwd, request.home, home]);
    await this.grantTree(request.cwd, owner);
    const env = baseEnvironment(request, home);
    env.PATH = this.searchPath(env.PATH ?? '/usr/bin:/bin');
    // The agent's git works in a tree whose top directory is root's: trust exactly that one.
    Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: request.cwd });
    if (request.access.kind === 'commit') await this.grantCommit(request.cwd, request.access.branch, owner);
    return { wrap: (argv) => argv, env, uid, gid };
  }

  /**
   * The agent user must be able to walk to its directories: a directory on the way that
   * others cannot search (a 0700 temporary directory, /root) gets search permission for
   * others, never listing (`o+x`): names inside stay unknown and 0600 files closed.
   */
  private async reachable(paths: string[]): Promise<void> {
    for (const target of paths) {
      for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
        if (!this.searchable.has(dir)) {
          const info = await stat(dir);
          if ((info.mode & 0o001) === 0) await chmod(dir, (info.mode & 0o7777) | 0o001);
          this.searchable.add(dir);
        }
        if (dir === path.dirname(dir)) break;
      }
    }
  }

  /**
   * The tree's files become the agent's; its top directory and `.git` file stay root's,
   * the directory group-writable and sticky: the agent may add and remove its own files
   * there but never replace `.git`, which tells the server's git where the repository is.
   */
  private async grantTree(tree: string, owner: string): Promise<void> {
    const entries = (await readdir(tree)).filter((name) => name !== '.git');
    await chownTree(
      owner,
      entries.map((name) => path.join(tree, name)),
    );
    await chown(tree, 0, this.user.gid);
    await chmod(tree, 0o3775);
    await refreshIndex(tree);
  }

  /** What `git commit` on `branch` writes: the worktree's git data, objects, the branch ref. */
  private async grantCommit(worktree: string, branch: string, owner: string): Promise<void> {
    const { gid } = this.user;
    const [gitDir, commonDir] = (
      await runGit(['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir'], { cwd: worktree })
    ).stdout
      .trim()
      .split('\n');
    await this.reachable([commonDir]);
    // The worktree's own git directory: HEAD, index and logs are the agent's; `commondir`
    // and `gitdir` (where the repository is) stay root's in a sticky directory.
    const own = (await readdir(gitDir)).filter((name) => name !== 'commondir' && name !== 'gitdir' && name !== 'locked');
    await chownTree(
      owner,
      own.map((name) => path.join(gitDir, name)),
    );
    await chown(gitDir, 0, gid);
    await chmod(gitDir, 0o3775);
    // The object store is shared once per repository, and one at a time: two agents
    // starting together would otherwise both run `git config`, and the second would find
    // config.lock taken and fail.
    let shared = this.sharedRepos.get(commonDir);
    if (!shared) {
      shared = this.shareObjects(commonDir, gid);
      this.sharedRepos.set(commonDir, shared);
      shared.catch(() => this.sharedRepos.delete(commonDir));
    }
    await shared;
    // Its branch's ref and reflog, in a directory of their own: not the target branch's.
    for (const base of ['refs/heads', 'logs/refs/heads']) {
      const file = path.join(commonDir, base, branch);
      await mkdir(path.dirname(file), { recursive: true });
      await chown(path.dirname(file), 0, gid);
      await chmod(path.dirname(file), 0o2775);
      if (existsSync(file)) await chownTree(owner, [file]);
    }
  }

  /** The object store, shared with the agent's group; git keeps new directories so. */
  private async shareObjects(commonDir: string, gid: number): Promise<void> {
    await runGit(['config', 'core.sharedRepository', 'group'], { cwd: commonDir });
    const objects = path.join(commonDir, 'objects');
    const dirs = [objects, ...(await readdir(objects)).map((name) => path.join(objects, name))];
    for (const dir of dirs) {
      if (!(await stat(dir)).isDirectory()) continue;
      await chown(dir, 0, gid);
      await chmod(dir, 0o2775);
    }
  }
}

/**
 * A sandbox for a server that is not root: `namespace` covers `secrets` and /proc in
 * namespaces of the agent's own, `none` only cleans the environment. Exported for tests.
 */
export function sameUserSandbox(mode: 'namespace' | 'none', secrets: string[], home?: string): Sandbox {
  return new NamespaceSandbox(mode, secrets, home);
}

const sandboxes = new Map<string, Sandbox>();

// As root, agents run as another user in the rig repositories' group (UserSandbox).
// Long-lived git processes (git/git-pipes.ts) read core.sharedRepository once, when they
// start, which may be before a sandbox sets it: with umask 002, set as soon as this module
// loads (before any git runs), every directory they or the server make stays writable by
// that group. Secrets keep their explicit 0600.
if (process.getuid?.() === 0) process.umask(0o002);

/**
 * The sandbox of the town whose data directory is `townDir`, chosen once per process:
 * `user` when the server runs as root, else `namespace` where the kernel allows, else `none`.
 * `GT_AGENT_USER` names the unprivileged user; `GT_AGENT_HOME` one HOME for every agent
 * (where their CLIs are signed in) instead of one per agent.
 */
export function townSandbox(townDir: string, env: NodeJS.ProcessEnv = process.env): Sandbox {
  const dir = path.resolve(townDir);
  let sandbox = sandboxes.get(dir);
  if (!sandbox) {
    const home = env.GT_AGENT_HOME ? path.resolve(env.GT_AGENT_HOME) : undefined;
    if (process.getuid?.() === 0) sandbox = new UserSandbox(agentUser(env.GT_AGENT_USER), home);
    else sandbox = sameUserSandbox(namespacesWork() ? 'namespace' : 'none', secretFiles(dir), home);
    sandboxes.set(dir, sandbox);
  }
  return sandbox;
}
