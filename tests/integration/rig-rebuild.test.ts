/**
 * A rig taken over by a node whose disk never held it (rig-rebuild.ts), in one process on
 * virtual time with real git: town A (its own data directory) runs a rig landing on a bare
 * upstream, its polecats submit (their branches pushed as a cluster node does) and one is
 * still at work when A stops dead (no stop, no release: it is simply never run again). One
 * submitted branch is then removed from the upstream, as if A died between recording the
 * request and pushing its head. Town B, on another data directory and the same store,
 * attaches the rig: it clones the upstream into its own directory, keeps the requests whose
 * heads it finds, abandons the one whose head is gone and sends that bead and the working
 * polecat's back to the queue; then it lands every bead exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedAgentRuntime } from '@/server/agents/scripted-agent';
import { ClockedChecks } from '@/server/checks/clocked-checks';
import { createEngine } from '@/server/engine/assembly';
import { VirtualClock } from '@/server/engine/clock';
import { seededRandom } from '@/server/engine/random';
import type { Town } from '@/server/engine/town';
import { CliGit, fsck, initRepository } from '@/server/git/cli-git';
import { demoRepositoryFiles } from '@/server/git/demo-repo';
import { runGit } from '@/server/git/run-git';
import { CliUpstream } from '@/server/git/upstream';
import { MemoryStore } from '@/server/store/memory-store';
import { firstParentHistory } from '../support/crash-server';

const git = new CliGit();
const upstream = new CliUpstream();

async function runUntil(clock: VirtualClock, town: Town, done: () => boolean, maxMs: number): Promise<void> {
  const until = clock.now() + maxMs;
  while (!done() && clock.now() < until) await clock.advance(1_000, () => town.settle());
}

describe('a rig rebuilt on a node that never ran it', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('clones the upstream into its own directory, keeps the requests whose heads are pushed, and requeues the rest', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-rebuild-'));
    const work = path.join(dir, 'src');
    await initRepository(work, demoRepositoryFiles());
    const origin = path.join(dir, 'origin.git');
    await runGit(['clone', '-q', '--bare', work, origin], { cwd: dir });
    const store = new MemoryStore();
    const open = (clock: VirtualClock, dataDir: string, validateMs: number) =>
      createEngine({
        clock,
        git,
        store,
        upstream,
        agents: new ScriptedAgentRuntime({ clock, git }),
        checks: new ClockedChecks(clock, { durationMs: () => validateMs }),
        workDir: dataDir,
        random: seededRandom(7),
        attachStored: false,
        clusterNode: true,
      });

    // Town A: validations take an hour, so its requests are still in the queue when it dies.
    const clockA = new VirtualClock();
    const a = await open(clockA, path.join(dir, 'a'), 3_600_000);
    const cloneA = path.join(dir, 'a', 'rigs', 'app');
    await upstream.cloneBare(origin, cloneA, { timeoutMs: 60_000 });
    await a.rigs.add({
      name: 'app',
      repoPath: cloneA,
      targetBranch: 'main',
      settings: { landing: 'upstream', upstreamUrl: origin, agentWorkMs: 10_000 },
    });
    await a.polecats.add('app', 4);
    const ids = ['core/', 'ui/', 'tests/'].map((p, i) => a.beads.create({ rig: 'app', title: `work ${i}`, paths: [p] }).id);
    a.start();
    await runUntil(clockA, a, () => a.polecats.list('app').filter((p) => p.state === 'submitted').length === 3, 600_000);
    ids.push(a.beads.create({ rig: 'app', title: 'work 3', paths: ['core/'] }).id);
    await runUntil(clockA, a, () => a.polecats.list('app').some((p) => p.state === 'working'), 60_000);
    await a.settle();
    const submitted = a.polecats.list('app').filter((p) => p.state === 'submitted');
    expect(submitted).toHaveLength(3);
    // Their heads reached the upstream at submit; one is taken away again (A died before pushing it).
    const branches = (await runGit(['for-each-ref', '--format=%(refname)', 'refs/heads/polecat/'], { cwd: origin })).stdout;
    for (const p of submitted) expect(branches).toContain(`refs/heads/${p.branch}`);
    const queued = (await store.listMergeRequests({ rig: 'app', status: ['queued'] }))[0];
    await runGit(['update-ref', '-d', `refs/heads/${queued.branch}`], { cwd: origin });
    const working = a.polecats.list('app').find((p) => p.state === 'working')!;
    // Another was being merged when A died: its merge commit was made on A's disk only, never pushed.
    const merging = (await store.listMergeRequests({ rig: 'app', status: ['queued'] })).find((mr) => mr.id !== queued.id)!;
    await store.saveMergeRequest({ ...merging, status: 'merging', mergeCommit: 'e41ff45b6520c25ee161cccfad269100641e255a' });

    // Town B: its own directory, the same store; A is never run again.
    const clockB = new VirtualClock(clockA.now() + 60_000);
    const b = await open(clockB, path.join(dir, 'b'), 1_000);
    await b.rigs.attach('app');
    expect(b.rigs.get('app')?.repoPath).toBe(path.join(dir, 'b', 'rigs', 'app'));
    expect(existsSync(path.join(dir, 'b', 'rigs', 'app', 'HEAD'))).toBe(true);
    expect(b.polecats.list('app').every((p) => p.worktreePath.startsWith(path.join(dir, 'b', 'worktrees', 'app')))).toBe(true);
    // The request whose head is nowhere is abandoned; its bead and the working polecat's are open again.
    expect((await store.listMergeRequests({ ids: [queued.id] }))[0].status).toBe('abandoned');
    expect(b.beads.get(queued.beadId)).toMatchObject({ status: 'open', assignee: null });
    expect(b.beads.get(working.beadId!)).toMatchObject({ status: 'open', assignee: null });
    expect(b.polecats.get(working.id)?.state).toBe('idle');
    // The one being merged did not land (its commit is nowhere here): back in the queue.
    const kept = await store.listMergeRequests({ rig: 'app', status: ['queued'] });
    expect(kept).toHaveLength(2);
    expect(kept.find((mr) => mr.id === merging.id)).toMatchObject({ mergeCommit: null });

    b.start();
    await runUntil(clockB, b, () => b.beads.list().length === 0, 4 * 3_600_000);
    await b.stop();
    const landed = (await firstParentHistory(origin)).filter((m) => m.bead !== null).map((m) => m.bead);
    expect([...landed].sort()).toEqual([...ids].sort());
    expect(await fsck(origin)).toMatchObject({ ok: true });
  });
});
