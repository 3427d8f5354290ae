/**
 * Landing on a real upstream (issue 19), real git only, no network: a bare "upstream" with a
 * real-looking history (several authors, a tag, a release branch), a rig on its bare clone
 * (CliUpstream.cloneBare over file://), the scripted agent committing on beads in polecat
 * worktrees of that clone, the real gate runner validating, and the Refinery pushing every
 * landing to the upstream by compare-and-swap while somebody else pushes too.
 *
 * The crash case models kill -9 in-process with hold/release fakes (tests/support/crash-point.ts),
 * not a real SIGKILL: from the moment the landing push returned, every later git call,
 * upstream call and store write of the first town is held, so none of them reaches the
 * repository, the upstream or the database, as in a process killed right there. It hits
 * exactly the window between the push and the record every run, which random kills of a
 * real server would hit only now and then.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '@/contracts/events';
import { ScriptedAgentRuntime } from '@/server/agents/scripted-agent';
import { createEngine } from '@/server/engine/assembly';
import { VirtualClock } from '@/server/engine/clock';
import { EventBus } from '@/server/engine/events';
import type { GitPort, PushResult, TownStore, UpstreamPort } from '@/server/engine/ports';
import { seededRandom } from '@/server/engine/random';
import type { Town } from '@/server/engine/town';
import { CliGit, fsck } from '@/server/git/cli-git';
import { demoRepositoryFiles } from '@/server/git/demo-repo';
import { runGit } from '@/server/git/run-git';
import { CliUpstream } from '@/server/git/upstream';
import { GateRunner } from '@/server/gates/gate-runner';
import { MemoryStore } from '@/server/store/memory-store';
import { migrateDatabase } from '@/server/store/migrate';
import { PrismaStore } from '@/server/store/prisma-store';
import { openSqlitePrisma } from '@/server/store/sqlite';
// import { crashPoint } from "../support/crash-point";

const git = new CliGit();
const upstream = new CliUpstream();
const CHECK = { name: 'check', command: [process.execPath, '-e', 'process.exit(0)'], timeoutMs: 30_000 };

let dir: string;
/** The team's bare upstream repository. */
let origin: string;
/** Somebody else's working clone of it. */
let other: string;
/** The rig's repository: a bare clone of the upstream. */
let clone: string;

const sh = async (cwd: string, ...args: string[]) => (await runGit(args, { cwd })).stdout.trim();

/** Somebody else's commit on main, pushed to the upstream; returns it. */
async function theirCommit(file: string, text: string): Promise<string> {
  await sh(other, 'pull', '-q', '--ff-only', 'origin', 'main');
  await mkdir(path.dirname(path.join(other, file)), { recursive: true });
  await writeFile(path.join(other, file), text);
  await sh(other, 'add', '-A');
  await sh(other, '-c', 'user.name=Dana', '-c', 'user.email=dana@example.com', 'commit', '-q', '-m', `docs: ${file}`);
  await sh(other, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  return sh(other, 'rev-parse', 'HEAD');
}

/** The upstream's first-parent line of main, oldest first, with the bead each landing carries. */
async function upstreamLine(): Promise<{ sha: string; bead: string | null }[]> {
  const out = await sh(origin, 'log', '--first-parent', '--reverse', '--format=%H %s', 'main');
  return out.split('\n').map((line) => {
    const sha = line.slice(0, 40);
    return { sha, bead: /\((\S+)\) via mr-/.exec(line)?.[1] ?? null };
  });
}

const isAncestor = (repo: string, a: string, b: string) => git.isAncestor(repo, a, b);

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gt-upstream-landing-'));
  origin = path.join(dir, 'team.git');
  other = path.join(dir, 'dana');
  clone = path.join(dir, 'rigs', 'app');
  await sh(dir, 'init', '-q', '--bare', '-b', 'main', origin);
  await sh(dir, 'clone', '-q', origin, other);
  // A history as a team leaves it: the project in several commits by two people, a tag, a branch.
  const files = Object.entries(demoRepositoryFiles());
  const authors = ['Ana <ana@example.com>', 'Bo <bo@example.com>'];
  for (let i = 0; i < files.length; i += 4) {
    for (const [file, text] of files.slice(i, i + 4)) {
      await mkdir(path.dirname(path.join(other, file)), { recursive: true });
      await writeFile(path.join(other, file), text);
    }
    await sh(other, 'add', '-A');
    const [name, email] = authors[(i / 4) % 2].split(' <');
    await sh(
      other,
      '-c',
      `user.name=${name}`,
      '-c',
      `user.email=${email.slice(0, -1)}`,
      'commit',
      '-q',
      '-m',
      `add ${files[i][0]}`,
    );
  }
  await sh(other, 'tag', 'v0.1');
  await sh(other, 'push', '-q', 'origin', 'HEAD:refs/heads/main', 'HEAD:refs/heads/release', 'v0.1');
  await upstream.cloneBare(`file://${origin}`, clone, { timeoutMs: 30_000 });
});

afterEach(async () => {
  const checks = [await fsck(origin), await fsck(clone)];
  await rm(dir, { recursive: true, force: true });
  for (const check of checks) expect(check.ok, check.output).toBe(true);
});

interface Opened {
  town: Town;
  events: DomainEvent[];
}

async function open(options: { clock: VirtualClock; store: TownStore; git?: GitPort; upstream?: UpstreamPort }): Promise<Opened> {
  const events: DomainEvent[] = [];
  const bus = new EventBus((err) => {
    throw err;
  });
  bus.subscribe((event) => events.push(event));
  const port = options.git ?? git;
  const town = await createEngine({
    clock: options.clock,
    git: port,
    upstream: options.upstream,
    store: options.store,
    agents: new ScriptedAgentRuntime({ clock: options.clock, git: port }),
    gates: new GateRunner({ scratchRoot: path.join(dir, 'scratch') }),
    workDir: dir,
    random: seededRandom(7),
    bus,
  });
  return { town, events };
}

async function runUntil(clock: VirtualClock, settle: () => Promise<void>, done: () => boolean, maxMs: number): Promise<void> {
  const until = clock.now() + maxMs;
  while (!done() && clock.now() < until) await clock.advance(1_000, settle);
}

const BEADS = [
  { title: 'retry budget', paths: ['core/'] },
  { title: 'empty state', paths: ['ui/'] },
  { title: 'flaky test', paths: ['tests/'] },
  { title: 'cache keys', paths: ['core/'] },
  { title: 'dark mode', paths: ['ui/'] },
  { title: 'fixtures', paths: ['tests/'] },
];

describe('a rig landing on its upstream', () => {
  it('pushes every landing in queue order exactly once, on top of a commit somebody else pushed mid-run', async () => {
    const clock = new VirtualClock();
    let pushes = 0;
    let theirs: string | null = null;
    // Somebody else pushes right before the rig's third landing push: its lease is stale.
    const racing: UpstreamPort = Object.assign(Object.create(upstream) as UpstreamPort, {
      async pushLanding(...args: Parameters<UpstreamPort['pushLanding']>): Promise<PushResult> {
        if (++pushes === 3) theirs = await theirCommit('docs/CHANGES.md', '# Changes\n\n- the release notes\n');
        return upstream.pushLanding(...args);
      },
    });
    const { town, events } = await open({ clock, store: new MemoryStore(), upstream: racing });
    await town.rigs.add({
      name: 'app',
      repoPath: clone,
      settings: { landing: 'upstream', agentWorkMs: 10_000, gates: [CHECK] },
    });
    await town.polecats.add('app', 3);
    const beads = BEADS.map((b) => town.beads.create({ rig: 'app', ...b }));
    town.start();
    await runUntil(
      clock,
      () => town.settle(),
      () => town.beads.list().length === 0,
      4 * 3_600_000,
    );
    await town.stop();

    const merged = events.filter((e) => e.type === 'mr.merged');
    expect(town.beads.list(), 'beads still in play').toEqual([]);
    const line = await upstreamLine();
    const landings = line.filter((c) => c.bead !== null).map((c) => c.bead);
    // Exactly once each, and in the order the Refinery landed them.
    expect(landings).toEqual(merged.map((e) => e.bead));
    expect([...landings].sort()).toEqual(beads.map((b) => b.id).sort());
    // Their commit stays on the line, and the landings after it sit on top of it.
    expect(theirs).not.toBeNull();
    const at = line.findIndex((c) => c.sha === theirs);
    expect(at, 'their commit on the upstream first-parent line').toBeGreaterThan(0);
    expect(line.slice(at + 1).filter((c) => c.bead).length, 'landings on top of their commit').toBeGreaterThanOrEqual(4);
    // The rejected push re-merged on the new tip and kept its validation (their commit touches none of its files).
    const moved = events.find((e) => e.type === 'refinery.ref_moved');
    expect(moved?.type === 'refinery.ref_moved' && moved.reason).toMatch(/upstream moved.*validations kept/);
    const mr = moved?.type === 'refinery.ref_moved' ? moved.mr : '';
    const from = events.indexOf(moved!);
    const to = events.findIndex((e) => e.type === 'mr.merged' && e.mr === mr);
    expect(to, `${mr} landed after the rejected push`).toBeGreaterThan(from);
    expect(events.slice(from, to).filter((e) => e.type === 'refinery.validated' && e.mr === mr)).toEqual([]);
    // The local target follows the upstream, and polecats started later work from it.
    const tip = await sh(origin, 'rev-parse', 'main');
    expect(await sh(clone, 'rev-parse', 'refs/heads/main')).toBe(tip);
    const later = merged.slice(merged.findIndex((e) => e.type === 'mr.merged' && e.mr === mr) + 1);
    expect(later.length).toBeGreaterThan(0);
    const heads: string[] = [];
    for (const e of later) {
      if (e.type !== 'mr.merged') continue;
      expect(await isAncestor(clone, theirs!, e.mergeCommit), `${e.mr} on top of their commit`).toBe(true);
      heads.push(await sh(clone, 'rev-parse', `${e.mergeCommit}^2`));
    }
    const fromTheirs = await Promise.all(heads.map((head) => isAncestor(clone, theirs!, head)));
    expect(fromTheirs, 'a polecat branch started from the upstream with their commit').toContain(true);
  }, 180_000);

  it('never calls the upstream when the rig lands locally', async () => {
    const clock = new VirtualClock();
    const calls: string[] = [];
    const watching = new Proxy(upstream, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const { town } = await open({ clock, store: new MemoryStore(), upstream: watching });
    await town.rigs.add({ name: 'app', repoPath: clone, settings: { agentWorkMs: 10_000, pushBranches: true } });
    await town.polecats.add('app', 1);
    town.beads.create({ rig: 'app', ...BEADS[0] });
    const before = await sh(origin, 'rev-parse', 'main');
    town.start();
    await runUntil(
      clock,
      () => town.settle(),
      () => town.beads.list().length === 0,
      3_600_000,
    );
    await town.stop();
    expect(town.rigs.get('app')!.counters.merged).toBe(1);
    expect(calls).toEqual([]);
    expect(await sh(origin, 'rev-parse', 'main'), 'the upstream is untouched').toBe(before);
  }, 60_000);
});
