/**
 * The town's secrets are out of its agents' and checks' reach (spawner/sandbox.ts). A
 * prompt-injected agent (tests/fixtures/agents/snoop-agent.mjs) tries to read the token
 * files, the database and the server's environment every way it can; the test asserts it
 * got nothing and still did its work. As root (CI) the agent runs as an unprivileged user;
 * the last tests run the same-user namespace on its own, as a non-root server would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandAgentRuntime } from '../../server/agents/command-agent';
import { RigAgentRuntime } from '../../server/agents/rig-runtime';
import { ScriptedAgentRuntime } from '../../server/agents/scripted-agent';
import type { Town } from '../../server/engine/town';
import { runGit } from '../../server/git/run-git';
import { protectSecrets, sameUserSandbox, secretFiles, townSandbox } from '../../server/spawner/sandbox';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const SNOOP = path.resolve(import.meta.dirname, '../fixtures/agents/snoop-agent.mjs');
const MARKER = 'gto_the-operator-token-no-agent-may-see';
const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Report {
  uid: number;
  home: string;
  tries: { how: string; target: string; got: string | null; error?: string }[];
}

/** The town's secret files, each holding the marker, as the server leaves them (0600). */
async function plantSecrets(dataDir: string, mode?: number): Promise<void> {
  for (const file of secretFiles(dataDir).slice(0, 3)) await writeFile(file, JSON.stringify({ operatorToken: MARKER }));
  if (mode === undefined) await protectSecrets(dataDir);
  else for (const file of secretFiles(dataDir).slice(0, 3)) await chmod(file, mode);
}

/** A process of the server's kind holding the token in its environment (as GT_OPERATOR_TOKEN). */
function tokenHolder(uid?: number): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    env: { ...process.env, GT_OPERATOR_TOKEN: MARKER },
    stdio: 'ignore',
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
}

/**
 * What the snoop could open at all, besides what is harmless by design: its own
 * environment, a listing (names only), and command lines (world-readable in /proc; the
 * server never puts a secret on one).
 */
const readable = (report: Report) =>
  report.tries
    .filter((t) => t.got !== null && !['own environment', 'listing the data directory', '/proc cmdline'].includes(t.how))
    .map((t) => `${t.how}: ${t.target}`);

/** What the snoop got that gives the secret away. */
const leaks = (report: Report) => report.tries.filter((t) => t.got?.includes(MARKER)).map((t) => `${t.how}: ${t.target}`);

async function writableDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o777);
  return dir;
}

describe('the town sandbox', () => {
  let h: Harness | undefined;
  let town: Town | undefined;
  let holder: ChildProcess | undefined;
  const savedToken = process.env.GT_OPERATOR_TOKEN;
  afterEach(async () => {
    holder?.kill('SIGKILL');
    await town?.stop();
    await h?.cleanup();
    h = town = holder = undefined;
    if (savedToken === undefined) delete process.env.GT_OPERATOR_TOKEN;
    else process.env.GT_OPERATOR_TOKEN = savedToken;
  });

  it('keeps the token files, database and server environment from a command agent, which still commits and lands', async () => {
    h = await createHarness({
      agents: (clock, git, dir) =>
        new RigAgentRuntime(
          new ScriptedAgentRuntime({ clock, git }),
          new CommandAgentRuntime({ logRoot: path.join(dir, 'agents'), progressPollMs: 50 }),
        ),
    });
    process.env.GT_OPERATOR_TOKEN = MARKER;
    await plantSecrets(h.dir);
    holder = tokenHolder();
    const out = await writableDir(path.join(h.dir, 'out'));
    const report = path.join(out, 'agent.json');
    town = await h.open();
    await town.rigs.add({
      name: 'myproject',
      repoPath: h.repoPath,
      settings: {
        agent: {
          kind: 'command',
          command: [process.execPath, SNOOP, '--report', report, '--data', h.dir, '--pids', `${holder.pid},${process.pid}`],
        },
      },
    });
    await town.polecats.add('myproject', 1);
    const bead = town.beads.create({ rig: 'myproject', title: 'honest work' });
    town.start();
    const deadline = Date.now() + 30_000;
    while (town.beads.get(bead.id) && Date.now() < deadline) {
      await h.clock.advance(500, () => town!.settle());
      await realSleep(20);
    }

    const got = JSON.parse(await readFile(report, 'utf8')) as Report;
    expect(leaks(got)).toEqual([]);
    expect(readable(got)).toEqual([]);
    expect(got.home).toBe(path.join(h.dir, 'agents', 'myproject', 'furiosa', 'home'));
    if (process.getuid?.() === 0) expect(got.uid).toBe(townSandbox(h.dir).user!.uid);
    // Cut off from the secrets, the agent still committed, and its work landed.
    const { stdout } = await runGit(['show', `main:agent-notes/${bead.id}.md`], { cwd: h.repoPath });
    expect(stdout).toBe('honest work\n');
  });

  it('keeps them from a Refinery check too, which still runs and passes', async () => {
    h = await createHarness();
    await plantSecrets(h.dir);
    holder = tokenHolder();
    const out = await writableDir(path.join(h.dir, 'out'));
    const report = path.join(out, 'check.json');
    town = await h.open();
    const command = [
      process.execPath,
      SNOOP,
      '--report',
      report,
      '--data',
      h.dir,
      '--pids',
      `${holder.pid},${process.pid}`,
      '--no-commit',
    ];
    await town.rigs.add({
      name: 'myproject',
      repoPath: h.repoPath,
      settings: { checks: [{ name: 'snoop', command, timeoutMs: 20_000 }] },
    });
    await town.polecats.add('myproject', 1);
    const bead = town.beads.create({ rig: 'myproject', title: 'checked work' });
    town.start();
    await runUntil(h.clock, town, () => !town!.beads.get(bead.id), 10 * 60_000);

    expect((await h.store.listBeads({})).find((b) => b.id === bead.id)?.status).toBe('done');
    const got = JSON.parse(await readFile(report, 'utf8')) as Report;
    expect(leaks(got)).toEqual([]);
    expect(readable(got)).toEqual([]);
  });
});

// A server that is not root runs its agents as its own user: only the namespace stands
// between them and the files. Played here by the unprivileged `nobody` for both.
describe.runIf(process.getuid?.() === 0)('the same-user namespace (a server that is not root)', () => {
  let dir: string;
  let holder: ChildProcess | undefined;
  afterEach(async () => {
    holder?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  async function snoopAsNobody(mode: 'namespace' | 'none'): Promise<Report> {
    const nobody = 65534;
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-ns-'));
    await chmod(dir, 0o755);
    await plantSecrets(dir, 0o644);
    for (const file of secretFiles(dir).slice(0, 3)) await chown(file, nobody, nobody);
    holder = tokenHolder(nobody);
    const work = await writableDir(path.join(dir, 'worktrees', 'myproject', 'furiosa'));
    const home = await writableDir(path.join(dir, 'agents', 'myproject', 'furiosa', 'home'));
    const report = path.join(work, 'report.json');
    const sandbox = sameUserSandbox(mode, secretFiles(dir));
    const start = await sandbox.prepare({ cwd: work, access: { kind: 'tree' }, home });
    const argv = start.wrap([
      process.execPath,
      SNOOP,
      '--report',
      report,
      '--data',
      dir,
      '--pids',
      String(holder.pid),
      '--no-commit',
    ]);
    const child = spawn(argv[0], argv.slice(1), { cwd: work, env: start.env as NodeJS.ProcessEnv, uid: nobody, gid: nobody });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    return JSON.parse(await readFile(report, 'utf8')) as Report;
  }

  it('covers the secret files and hides the server process from an agent of the same user', async () => {
    const got = await snoopAsNobody('namespace');
    expect(leaks(got)).toEqual([]);
  });

  it('without namespaces, a same-user agent reads them: what docs/agents.md warns of', async () => {
    const got = await snoopAsNobody('none');
    expect(leaks(got)).toEqual(
      expect.arrayContaining([`absolute path: ${path.join(dir, 'auth.json')}`, `/proc environ: /proc/${holder!.pid}/environ`]),
    );
    // Its own environment is clean in every mode.
    expect(got.tries.find((t) => t.how === 'own environment')?.got).not.toContain(MARKER);
  });
});
