/**
 * The Refinery on real git with real check processes, on virtual time: ordered landing
 * under parallel workers with random conflicts and check failures, exactly-once landing,
 * rejection with the check's output, bisection in batch mode, and escalation at the cap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../contracts/events';
import type { CheckSpec, RigSettings } from '../../contracts/records';
import type { Town } from '../../server/engine/town';
import { CliGit, fsck } from '../../server/git/cli-git';
import { runGit } from '../../server/git/run-git';
import { ClockedChecks } from '../../server/checks/clocked-checks';
import { demoCheck } from '../../server/checks/demo-check';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const CHECK: CheckSpec = demoCheck(0);

/** Merge request ids in the order their merge commits sit on the target (first-parent, oldest first). */
async function landedOnTarget(repo: string): Promise<string[]> {
  const { stdout } = await runGit(['log', '--first-parent', '--reverse', '--merges', '--format=%s', 'main'], { cwd: repo });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((s) => /via (mr-[a-z0-9]+)/.exec(s)![1]);
}

async function runRig(h: Harness, settings: Partial<RigSettings>, polecats: number, beads: number, seedPaths = ['core/', 'ui/']) {
  const town = await h.open();
  const events: DomainEvent[] = [];
  town.bus.subscribe((e) => events.push(e));
  await town.rigs.add({
    name: 'myproject',
    repoPath: h.repoPath,
    settings: { agentWorkMs: 20_000, checks: [CHECK], ...settings },
  });
  await town.polecats.add('myproject', polecats);
  town.convoys.create(
    'sprint',
    Array.from({ length: beads }, (_, i) => ({ rig: 'myproject', title: `bead ${i}`, paths: [seedPaths[i % seedPaths.length]] })),
  );
  town.start();
  const settled = () => town.beads.list().every((b) => b.status === 'blocked');
  // Coarse steps with overlap: requests pile up while others are validated, as in a busy town.
  await runUntil(h.clock, town, settled, 6 * 3_600_000, 30_000, { overlap: true });
  return { town, events };
}

/** Claim order: the order requests last entered a worker's window. */
function claimOrder(events: DomainEvent[]): string[] {
  const order: string[] = [];
  for (const e of events) {
    if (e.type === 'mr.state_changed' && e.to === 'merging') {
      const at = order.indexOf(e.mr);
      if (at >= 0) order.splice(at, 1);
      order.push(e.mr);
    }
  }
  return order;
}

function isSubsequence(sub: string[], of: string[]): boolean {
  let i = 0;
  for (const x of of) if (x === sub[i]) i++;
  return i === sub.length;
}

describe('the Refinery with parallel workers', () => {
  let h: Harness;
  let town: Town | undefined;
  afterEach(async () => {
    await town?.stop();
    await h?.cleanup();
  });

  it.each([1, 3])('lands every request once, in queue order, with %i workers, conflicts and check failures', async (workers) => {
    h = await createHarness();
    const run = await runRig(h, { refineryWorkers: workers, agentFailureRate: 0.25 }, 6, 16);
    town = run.town;
    const landed = await landedOnTarget(h.repoPath);
    const mergedEvents = run.events.filter((e) => e.type === 'mr.merged').map((e) => (e as { mr: string }).mr);
    expect(landed).toEqual(mergedEvents);
    expect(new Set(landed).size).toBe(landed.length);
    expect(isSubsequence(landed, claimOrder(run.events))).toBe(true);
    const rig = town.rigs.get('myproject')!;
    expect(rig.counters.rejected).toBeGreaterThan(0);
    const escalated = run.events.filter((e) => e.type === 'mr.escalated').length;
    expect(landed.length + escalated).toBe(16);
    expect((await fsck(h.repoPath)).ok).toBe(true);
  });

  it('validates requests in parallel when it has more than one worker', async () => {
    h = await createHarness();
    const run = await runRig(h, { refineryWorkers: 3 }, 6, 12);
    town = run.town;
    const slots = new Set(run.events.filter((e) => e.type === 'refinery.validated').map((e) => (e as { slot: number }).slot));
    expect([...slots].sort()).toEqual([0, 1, 2]);
  });

  it('sends a broken change back with the check output, and lands the reworked one', async () => {
    h = await createHarness();
    const run = await runRig(h, { agentFailureRate: 1 }, 1, 1);
    town = run.town;
    const rejected = run.events.find((e) => e.type === 'mr.rejected');
    expect(rejected).toMatchObject({ check: 'checks' });
    expect((rejected as { output: string }).output).toContain('GT_CHECK_FAIL');
    expect(run.events.filter((e) => e.type === 'mr.merged')).toHaveLength(1);
    expect(town.rigs.get('myproject')!.counters).toMatchObject({ merged: 1, rejected: 1, reworkedMerged: 1 });
  });

  it('escalates a request and blocks its bead once it has failed maxAttempts times', async () => {
    h = await createHarness();
    const run = await runRig(h, { agentFailureRate: 1, maxAttempts: 1 }, 1, 1);
    town = run.town;
    expect(run.events.some((e) => e.type === 'mr.escalated')).toBe(true);
    const [escalation] = town.escalations.list();
    expect(escalation).toMatchObject({ severity: 'high', source: 'refinery', status: 'open' });
    expect(town.beads.list()[0].status).toBe('blocked');
    expect(town.polecats.list()[0].state).toBe('idle');
  });

  it('lands passing batches together and bisects a failing one in batch mode', async () => {
    h = await createHarness();
    const run = await runRig(h, { mergeMode: 'batch', batchSize: 4, agentFailureRate: 0.2 }, 6, 16);
    town = run.town;
    const landed = await landedOnTarget(h.repoPath);
    expect(isSubsequence(landed, claimOrder(run.events))).toBe(true);
    const validations = run.events.filter((e) => e.type === 'refinery.validated') as Array<{ covers: number; ok: boolean }>;
    expect(validations.some((v) => v.covers > 1 && v.ok)).toBe(true);
    // A failing batch was bisected down to the broken request, which was sent back.
    expect(validations.some((v) => v.covers > 1 && !v.ok)).toBe(true);
    expect(validations.some((v) => v.covers === 1 && !v.ok)).toBe(true);
    expect(town.rigs.get('myproject')!.counters.rejected).toBeGreaterThan(0);
    const escalated = run.events.filter((e) => e.type === 'mr.escalated').length;
    expect(landed.length + escalated).toBe(16);
    // Fewer check runs than landings: batches share one run.
    expect(validations.length).toBeLessThan(landed.length + town.rigs.get('myproject')!.counters.rejected * 3);
    expect((await fsck(h.repoPath)).ok).toBe(true);
  });
  it('validates again after a backoff when the checks could not run, and lands the request', async () => {
    // A check infrastructure failure (a process that cannot start) twice, then the checks run.
    let failures = 2;
    h = await createHarness({
      checks: (clock) => {
        const check = new ClockedChecks(clock, { durationMs: () => 5_000 });
        return {
          waitsOnClock: true,
          dispose: () => check.dispose(),
          validate: (request) => (failures-- > 0 ? Promise.reject(new Error('spawn EAGAIN')) : check.validate(request)),
        };
      },
    });
    const run = await runRig(h, { checks: [] }, 1, 1);
    town = run.town;
    expect(failures).toBeLessThan(0);
    expect(run.events.filter((e) => e.type === 'mr.merged')).toHaveLength(1);
    expect(town.beads.list()).toEqual([]);
  });
  it('merges again after a backoff when git itself failed, and lands the request', async () => {
    let failures = 2;
    const git = new CliGit();
    const flaky = Object.create(git) as CliGit;
    flaky.mergeTree = (repo, ours, theirs) =>
      failures-- > 0 ? Promise.reject(new Error('fatal: Unable to create index.lock')) : git.mergeTree(repo, ours, theirs);
    h = await createHarness({ git: flaky, checks: (clock) => new ClockedChecks(clock, { durationMs: () => 5_000 }) });
    const run = await runRig(h, { checks: [] }, 1, 1);
    town = run.town;
    expect(failures).toBeLessThan(0);
    expect(run.events.filter((e) => e.type === 'mr.merged')).toHaveLength(1);
    expect(town.beads.list()).toEqual([]);
  });
});
