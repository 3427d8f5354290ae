/**
 * Adding a rig from a git URL (rig.add) on real git, no network: a bare upstream with a
 * real-looking history made here, cloned over file://; the rig's polecats land work. Bad
 * input is refused with a 4xx and leaves no directory, no record and no password anywhere.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '@/contracts/events';
import { createCommandBus, type Actor } from '@/server/commands';
import type { CommandBus } from '@/server/commands/command';
import { EngineError } from '@/server/engine/errors';
import type { Town } from '@/server/engine/town';
import { fsck } from '@/server/git/cli-git';
import { runGit } from '@/server/git/run-git';
import { CliUpstream } from '@/server/git/upstream';
import { RigCloner } from '@/server/rigs/rig-cloner';
import { CommandAgentRuntime } from '@/server/agents/command-agent';
import { RigAgentRuntime } from '@/server/agents/rig-runtime';
import { ScriptedAgentRuntime } from '@/server/agents/scripted-agent';
import { createHarness, type Harness } from '../support/engine-harness';

const COMMIT_AGENT = [process.execPath, path.resolve(import.meta.dirname, '../fixtures/agents/commit-agent.mjs')];
const realSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const operator: Actor = { name: 'ada', role: 'operator' };
const sh = async (cwd: string, ...args: string[]) => (await runGit(args, { cwd })).stdout.trim();

/** A bare upstream (default branch `trunk`, also `release`) with a few commits of a small project. */
export async function makeUpstream(dir: string): Promise<string> {
  const origin = path.join(dir, 'upstream.git');
  const work = path.join(dir, 'upstream-work');
  await sh(dir, 'init', '-q', '--bare', '-b', 'trunk', origin);
  await sh(dir, 'clone', '-q', origin, work);
  const history: [string, string][] = [
    ['README.md', '# engine\n'],
    ['src/index.ts', 'export const version = 1;\n'],
    ['src/registry.ts', 'export const registry = new Map();\n'],
    ['test/index.test.ts', "import { version } from '../src/index';\n"],
  ];
  for (const [file, content] of history) {
    await mkdir(path.dirname(path.join(work, file)), { recursive: true });
    await writeFile(path.join(work, file), content);
    await sh(work, 'add', '-A');
    await sh(work, '-c', 'user.name=Grace', '-c', 'user.email=grace@example.com', 'commit', '-q', '-m', `add ${file}`);
  }
  await sh(work, 'push', '-q', 'origin', 'HEAD:refs/heads/trunk', 'HEAD:refs/heads/release');
  return origin;
}

describe('rig.add', () => {
  let h: Harness;
  let town: Town;
  let bus: CommandBus;
  let origin: string;
  let rigsRoot: string;
  let events: DomainEvent[];

  beforeEach(async () => {
    // The scripted agent edits only the demo's region files: a real repository gets a command agent.
    h = await createHarness({
      agents: (clock, git, dir) =>
        new RigAgentRuntime(
          new ScriptedAgentRuntime({ clock, git }),
          new CommandAgentRuntime({ logRoot: path.join(dir, 'agents'), progressPollMs: 50, killGraceMs: 300 }),
        ),
    });
    origin = await makeUpstream(h.dir);
    rigsRoot = path.join(h.dir, 'rigs');
    town = await h.open();
    events = [];
    town.bus.subscribe((e) => events.push(e));
    bus = createCommandBus({ engine: town, rigCloner: new RigCloner({ town, upstream: new CliUpstream(), rigsRoot }) });
  });
  afterEach(async () => {
    await town.stop();
    await h.cleanup();
  });

  const rigDirs = async () => readdir(rigsRoot).catch(() => [] as string[]);
  const storedRigs = async () => (await h.store.loadTown()).rigs.map((r) => r.name);

  it('clones the upstream, records it, and its polecats land every landing on the upstream target branch', async () => {
    const rig = (await bus.execute('rig.add', { name: 'engine', url: `file://${origin}`, polecats: 2 }, operator)) as {
      repoPath: string;
      targetBranch: string;
      settings: { landing: string; upstreamUrl: string };
    };
    expect(rig.targetBranch).toBe('trunk'); // the upstream's HEAD
    expect(rig.settings.landing).toBe('upstream');
    expect(rig.settings.upstreamUrl).toBe(`file://${origin}`);
    expect(rig.repoPath).toBe(path.join(rigsRoot, 'engine'));
    expect(await sh(rig.repoPath, 'remote', 'get-url', 'origin')).toBe(`file://${origin}`);
    expect(town.polecats.list('engine')).toHaveLength(2);
    expect(events.some((e) => e.type === 'rig.clone_progress' && e.rig === 'engine')).toBe(true);
    expect(await storedRigs()).toEqual(['engine']);

    await bus.execute('agent.configure', { rig: 'engine', agent: { kind: 'command', command: COMMIT_AGENT } }, operator);
    const before = await sh(rig.repoPath, 'rev-parse', 'refs/heads/trunk');
    for (const title of ['first', 'second', 'third']) town.beads.create({ rig: 'engine', title });
    town.start();
    const deadline = Date.now() + 30_000;
    while (town.rigs.get('engine')!.counters.merged < 3 && Date.now() < deadline) {
      await h.clock.advance(1_000, () => town.settle());
      await realSleep(20);
    }
    await town.settle();
    expect(town.rigs.get('engine')!.counters.merged).toBe(3);
    const landed = await sh(rig.repoPath, 'rev-list', '--merges', '--count', `${before}..refs/heads/trunk`);
    expect(Number(landed)).toBe(3);
    expect(await sh(rig.repoPath, 'merge-base', '--is-ancestor', before, 'refs/heads/trunk').then(() => true)).toBe(true);
    expect((await fsck(rig.repoPath)).ok).toBe(true);
    // Every landing reached the upstream: its trunk is the clone's.
    expect(await sh(origin, 'rev-parse', 'refs/heads/trunk')).toBe(await sh(rig.repoPath, 'rev-parse', 'refs/heads/trunk'));
    expect((await fsck(origin)).ok).toBe(true);
  });

  it('lands on the branch asked for and records upstream landing when --local is not given', async () => {
    const rig = (await bus.execute('rig.add', { name: 'rel', url: origin, branch: 'release' }, operator)) as {
      targetBranch: string;
      settings: { landing: string };
    };
    expect(rig.targetBranch).toBe('release');
    expect(rig.settings.landing).toBe('upstream');
  });

  const refusals: [string, () => Record<string, unknown>, number, RegExp][] = [
    ['an unreachable URL', () => ({ name: 'x', url: 'http://127.0.0.1:1/team/x.git' }), 400, /refused|unable to access|connect/i],
    ['a path that is not a repository', () => ({ name: 'x', url: `file://${rigsRoot}-plain` }), 400, /repository/i],
    ['a branch the upstream lacks', () => ({ name: 'x', url: `file://${origin}`, branch: 'nope' }), 400, /nope/],
    ['a name with a slash', () => ({ name: 'a/b', url: `file://${origin}` }), 400, /rig names/],
    ['a name with ..', () => ({ name: '..', url: `file://${origin}` }), 400, /rig names/],
    ['a URL starting with -', () => ({ name: 'x', url: '--upload-pack=touch /tmp/pwned' }), 400, /cannot start with "-"/],
    ['a branch starting with -', () => ({ name: 'x', url: `file://${origin}`, branch: '-f' }), 400, /cannot start with "-"/],
    ['an ext:: URL', () => ({ name: 'x', url: 'ext::sh -c touch% /tmp/pwned' }), 400, /remote helper/],
    ['an empty repository', () => ({ name: 'x', url: `file://${rigsRoot}-empty.git` }), 400, /empty/],
  ];

  for (const [what, input, status, message] of refusals) {
    it(`refuses ${what} with a ${status} and creates nothing`, async () => {
      await mkdir(`${rigsRoot}-plain`, { recursive: true });
      await sh(h.dir, 'init', '-q', '--bare', `${rigsRoot}-empty.git`);
      const error = await bus.execute('rig.add', input(), operator).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).code).toBe(status === 409 ? 'conflict' : 'invalid');
      expect((error as Error).message).toMatch(message);
      expect(await rigDirs()).toEqual([]);
      expect(town.rigs.list()).toEqual([]);
      expect(await storedRigs()).toEqual([]);
    });
  }

  it('refuses a name that is taken with a 409, before cloning anything', async () => {
    await bus.execute('rig.add', { name: 'engine', url: origin, local: true }, operator);
    const error = (await bus
      .execute('rig.add', { name: 'engine', url: 'http://127.0.0.1:1/x.git' }, operator)
      .catch((e) => e)) as EngineError;
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(/already exists/);
    expect(await rigDirs()).toEqual(['engine']);
  });

  it('accepts a URL with a password but never shows it in the answer, the events or the audit log', async () => {
    const url = 'http://grace:hunter2secret@127.0.0.1:1/team/x.git';
    const error = (await bus.execute('rig.add', { name: 'x', url }, operator).catch((e) => e)) as EngineError;
    expect(error.code).toBe('invalid'); // git's failure (unreachable), not the URL rule
    expect(error.message).not.toMatch(/remote helper|must be/);
    await town.written();
    const audit = await h.store.listAudit(10);
    const everything = JSON.stringify({ message: error.message, details: error.details, events, audit });
    expect(audit.some((a) => a.action === 'rig.add')).toBe(true);
    expect(everything).not.toContain('hunter2secret');
    expect(await rigDirs()).toEqual([]);
  });
});
