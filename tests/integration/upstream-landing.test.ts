/**
 * Landing on a real upstream (issue 19), real git only, no network: a bare "upstream" with a
 * real-looking history (several authors, a tag, a release branch), a rig on its bare clone
 * (CliUpstream.cloneBare over file://), the scripted agent committing on beads in polecat
 * worktrees of that clone, the real check runner validating, and the Refinery pushing every
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
import { createCommandBus } from '@/server/commands';
import { createEngine } from '@/server/engine/assembly';
import { VirtualClock } from '@/server/engine/clock';
import type { Logger } from '@/server/engine/context';
import { UpstreamError } from '@/server/engine/errors';
import { EventBus } from '@/server/engine/events';
import type { GitPort, PushResult, TownStore, UpstreamPort } from '@/server/engine/ports';
import { seededRandom } from '@/server/engine/random';
import type { Town } from '@/server/engine/town';
import { CliGit, fsck, initRepository } from '@/server/git/cli-git';
import { demoRepositoryFiles } from '@/server/git/demo-repo';
import { runGit } from '@/server/git/run-git';
import { CliUpstream } from '@/server/git/upstream';
import { CheckRunner } from '@/server/checks/check-runner';
import { MemoryStore } from '@/server/store/memory-store';
import { migrateDatabase } from '@/server/store/migrate';
import { PrismaStore } from '@/server/store/prisma-store';
import { openSqlitePrisma } from '@/server/store/sqlite';
import { crashPoint } from '../support/crash-point';

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

async function open(options: {
  clock: VirtualClock;
  store: TownStore;
  git?: GitPort;
  upstream?: UpstreamPort;
  /** The checks' scratch directory (a town abandoned at a crash keeps its own). */
  scratch?: string;
  log?: Logger;
}): Promise<Opened> {
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
    checks: new CheckRunner({ scratchRoot: path.join(dir, options.scratch ?? 'scratch') }),
    workDir: dir,
    random: seededRandom(7),
    bus,
    log: options.log,
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
      settings: { landing: 'upstream', agentWorkMs: 10_000, checks: [CHECK], pushBranches: true },
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
    // pushBranches: every polecat's branch is on the upstream for review, at its last commit.
    for (const p of town.polecats.list('app')) {
      expect(await sh(origin, 'rev-parse', `refs/heads/${p.branch}`), p.branch).toBe(
        await sh(clone, 'rev-parse', `refs/heads/${p.branch}`),
      );
    }
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

  it.each([
    ['before reaching the upstream', false],
    ['after the upstream took the push (a timeout)', true],
  ])(
    'lands once when a push fails %s',
    async (_label, tookIt) => {
      const clock = new VirtualClock();
      let failing = 2;
      const flaky: UpstreamPort = Object.assign(Object.create(upstream) as UpstreamPort, {
        async pushLanding(...args: Parameters<UpstreamPort['pushLanding']>): Promise<PushResult> {
          if (failing === 0) return upstream.pushLanding(...args);
          failing--;
          if (tookIt) await upstream.pushLanding(...args);
          throw new UpstreamError(
            tookIt ? 'timeout' : 'unreachable',
            tookIt ? 'push: no answer in 120 s' : 'push: Could not resolve host',
          );
        },
      });
      const warnings: string[] = [];
      const log = {
        info() {},
        error() {},
        warn: (message: string, fields?: object) => warnings.push(`${message} ${JSON.stringify(fields)}`),
      };
      const { town } = await open({ clock, store: new MemoryStore(), upstream: flaky, log });
      await town.rigs.add({ name: 'app', repoPath: clone, settings: { landing: 'upstream', agentWorkMs: 10_000 } });
      await town.polecats.add('app', 1);
      const bead = town.beads.create({ rig: 'app', ...BEADS[0] });
      town.start();
      await runUntil(
        clock,
        () => town.settle(),
        () => town.beads.list().length === 0,
        3_600_000,
      );
      await town.stop();
      const landings = (await upstreamLine()).filter((c) => c.bead).map((c) => c.bead);
      expect(landings, 'landed exactly once').toEqual([bead.id]);
      expect(await sh(clone, 'rev-parse', 'refs/heads/main')).toBe(await sh(origin, 'rev-parse', 'main'));
      // Unreachable: two failures logged, then the landing; taken: the fetch found it there at once.
      const failures = warnings.filter((w) => w.includes('pushing to the upstream failed'));
      expect(failures).toHaveLength(tookIt ? 0 : 2);
      if (!tookIt) expect(failures[1]).toMatch(/"count":2.*Could not resolve host/);
    },
    60_000,
  );

  it('fetches on demand and on its interval, and its target follows the upstream', async () => {
    const clock = new VirtualClock();
    const { town } = await open({ clock, store: new MemoryStore(), upstream });
    await town.rigs.add({ name: 'app', repoPath: clone, settings: { landing: 'upstream', fetchIntervalMs: 300_000 } });
    const plain = path.join(dir, 'plain');
    await initRepository(plain, { 'README.md': '# a rig without an upstream\n' });
    await town.rigs.add({ name: 'plain', repoPath: plain, settings: { landing: 'local' } });
    town.start();
    const commands = createCommandBus({ engine: town });
    const operator = { name: 'ada', role: 'operator' } as const;
    expect(await commands.execute('rig.upstream', { rig: 'app', fetchIntervalMs: 60_000 }, operator)).toEqual({
      rig: 'app',
      fetchIntervalMs: 60_000,
      pushBranches: false,
    });
    const first = await theirCommit('docs/one.md', 'one\n');
    expect(await commands.execute('rig.fetch', { rig: 'app' }, operator)).toEqual({
      rig: 'app',
      tip: first,
      moved: true,
      diverged: false,
    });
    expect(await sh(clone, 'rev-parse', 'refs/heads/main')).toBe(first);
    expect(await town.rigs.fetch('app'), 'nothing new').toMatchObject({ tip: first, moved: false });
    await expect(town.rigs.fetch('plain')).rejects.toMatchObject({ code: 'conflict' });

    const second = await theirCommit('docs/two.md', 'two\n');
    await clock.advance(59_000, () => town.settle());
    expect(await sh(clone, 'rev-parse', 'refs/heads/main'), 'before the interval').toBe(first);
    await clock.advance(1_000, () => town.settle());
    expect(await sh(clone, 'rev-parse', 'refs/heads/main'), 'after the interval').toBe(second);
    await town.stop();
  }, 60_000);

  it.each([
    ['reachable', false],
    ['unreachable at the restart', true],
  ])(
    'lands each request exactly once after the process died between the push and the record (upstream %s)',
    async (_label, unreachable) => {
      const dbFile = path.join(dir, 'gastown.db');
      await migrateDatabase(dbFile);
      const store1 = new PrismaStore(await openSqlitePrisma(dbFile));
      // One object as the town's git and upstream ports, so that the crash holds both.
      const ports = new Proxy({} as GitPort & UpstreamPort, {
        get(_target, prop) {
          const owner: object = prop in upstream ? upstream : git;
          const value: unknown = Reflect.get(owner, prop);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(owner) : value;
        },
      });
      let pushed = 0;
      const crash = crashPoint({
        store: store1,
        git: ports,
        gitDiesAfter: (method, _args, result) =>
          method === 'pushLanding' && (result as PushResult).status === 'pushed' && ++pushed === 2,
      });
      const clock1 = new VirtualClock();
      const first = await open({
        clock: clock1,
        store: crash.store,
        git: crash.git,
        upstream: crash.git as GitPort & UpstreamPort,
        scratch: 'scratch-1',
      });
      await first.town.rigs.add({
        name: 'app',
        repoPath: clone,
        settings: { landing: 'upstream', agentWorkMs: 10_000, checks: [CHECK] },
      });
      await first.town.polecats.add('app', 2);
      const beads = BEADS.slice(0, 4).map((b) => first.town.beads.create({ rig: 'app', ...b }));
      first.town.start();
      for (let i = 0; i < 3_600 && !crash.dead(); i++) await clock1.advance(1_000, () => crash.settle(first.town));
      expect(crash.dead(), 'the second landing was pushed').toBe(true);
      await crash.quiet(); // the first process is gone from here on

      // The upstream has the landing; the local ref and the database never heard of it.
      const pushedTip = await sh(origin, 'rev-parse', 'main');
      expect((await upstreamLine()).filter((c) => c.bead)).toHaveLength(2);
      const local = await sh(clone, 'rev-parse', 'refs/heads/main');
      expect(local).not.toBe(pushedTip);
      const merging = await store1.listMergeRequests({ status: ['merging'] });
      expect(merging.map((mr) => mr.mergeCommit)).toEqual([pushedTip]);

      const store2 = new PrismaStore(await openSqlitePrisma(dbFile));
      try {
        const clock2 = new VirtualClock(clock1.now());
        // Unreachable: the first fetch (reconcile's) fails, as with the network down at the restart,
        // and the kill came before git wrote its remote-tracking ref (the clone's last view of the upstream).
        if (unreachable) await sh(clone, 'update-ref', 'refs/remotes/origin/main', local);
        let fetches = 0;
        const flaky: UpstreamPort = Object.assign(Object.create(upstream) as UpstreamPort, {
          fetchUpstream: (...args: Parameters<UpstreamPort['fetchUpstream']>) =>
            unreachable && fetches++ === 0
              ? Promise.reject(new UpstreamError('unreachable', 'fetch: Could not resolve host'))
              : upstream.fetchUpstream(...args),
        });
        const second = await open({ clock: clock2, store: store2, upstream: flaky, scratch: 'scratch-2' });
        expect(await store2.listMergeRequests({ status: ['merging'] })).toEqual([]);
        if (!unreachable) {
          // Reconcile read the upstream: landed, recorded once, the local ref moved onto the upstream tip.
          expect(second.town.rigs.get('app')!.counters.merged).toBe(2);
          expect(await sh(clone, 'rev-parse', 'refs/heads/main')).toBe(pushedTip);
        } else {
          // Reconcile could not know: requeued; its re-merge finds its head on the upstream and lands it as it is.
          expect(second.town.rigs.get('app')!.counters.merged).toBe(1);
        }
        second.town.start();
        await runUntil(
          clock2,
          () => second.town.settle(),
          () => second.town.beads.list().length === 0,
          4 * 3_600_000,
        );
        await second.town.stop();

        const landings = (await upstreamLine()).filter((c) => c.bead).map((c) => c.bead);
        expect([...landings].sort(), 'each bead landed exactly once').toEqual(beads.map((b) => b.id).sort());
        expect(await store2.listBeads({ status: ['done'] })).toHaveLength(4);
        expect(await sh(clone, 'rev-parse', 'refs/heads/main')).toBe(await sh(origin, 'rev-parse', 'main'));
      } finally {
        await store2.close();
        await store1.close().catch(() => {});
      }
    },
    180_000,
  );
});
