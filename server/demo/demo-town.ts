/**
 * The demo town a newcomer sees on first start: one rig `myproject` (a generated
 * repository with core/, ui/ and tests/ areas), 8 scripted polecats and a convoy of
 * beads. A feeder tops the backlog up with new convoys so the town never goes quiet.
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashSeed, pickInt, pickSkewed, seededRandom, type Random } from '../engine/random';
import type { GateSpec } from '../engine/model';
import type { Town } from '../engine/town';
import { demoRepositoryFiles } from '../git/demo-repo';
import { CliGit, initRepository } from '../git/cli-git';

export const DEMO_RIG = 'myproject';
const DEMO_POLECATS = 8;
const CONVOY_SIZE = 16;

const VERBS = ['Add', 'Fix', 'Refactor', 'Speed up', 'Harden', 'Document', 'Rename', 'Split', 'Cache', 'Validate'];
const THINGS: Record<string, string[]> = {
  core: [
    'the plugin registry',
    'session tokens',
    'the rate limiter',
    'config loading',
    'the API router',
    'retry backoff',
    'the job scheduler',
  ],
  ui: [
    'the settings page',
    'the nav bar',
    'table sorting',
    'the dark theme',
    'form validation',
    'the toast stack',
    'keyboard shortcuts',
  ],
  tests: [
    'fixture builders',
    'the flaky login test',
    'snapshot helpers',
    'API contract tests',
    'the e2e harness',
    'coverage gates',
  ],
};
const AREAS = ['core', 'ui', 'tests'];

/** A plausible bead for one area (sometimes two), deterministic for a given random. */
export function demoBead(random: Random) {
  const area = AREAS[pickSkewed(random, AREAS.length, 0.6)];
  const paths = [`${area}/`];
  if (random.next() < 0.15) paths.push(`${AREAS[(AREAS.indexOf(area) + 1) % AREAS.length]}/`);
  const things = THINGS[area];
  return {
    rig: DEMO_RIG,
    title: `${VERBS[pickInt(random, 0, VERBS.length - 1)]} ${things[pickInt(random, 0, things.length - 1)]}`,
    priority: pickSkewed(random, 5, 0.5),
    labels: [area],
    paths,
  };
}

/**
 * The demo rig's validation gate: a real process that takes `durationMs` of real time and
 * fails on changes the scripted agent marked as broken. With 8 polecats and one Refinery
 * worker the queue builds past 5; with 3 workers it drains.
 */
export function demoGate(projectRoot: string, durationMs = 2_500): GateSpec {
  return {
    name: 'checks',
    command: [process.execPath, path.join(projectRoot, 'server', 'gates', 'demo-check.mjs'), '--duration-ms', String(durationMs)],
    timeoutMs: 60_000,
  };
}

/**
 * Seeds the demo town on a first start, idempotently: a first start cut short (a crash
 * while seeding) is finished on the next one, step by step, and a marker file says when
 * it is complete. A town with rigs of its own is never given the demo.
 */
export async function ensureDemoTown(town: Town, dataDir: string, projectRoot: string): Promise<boolean> {
  const marker = path.join(dataDir, 'demo-seeded');
  if (existsSync(marker)) return false;
  if (town.listRigs().some((r) => r.name !== DEMO_RIG)) {
    await writeFile(marker, 'skipped: the town has rigs of its own\n');
    return false;
  }
  const repoPath = path.join(dataDir, 'rigs', DEMO_RIG);
  if (!town.getRig(DEMO_RIG)) {
    const git = new CliGit();
    const usable = await git.resolveRef(repoPath, 'refs/heads/main').then(
      () => true,
      () => false,
    );
    if (!usable) {
      // Half-made by an interrupted first start: it holds nothing of anyone's; start it over.
      await rm(repoPath, { recursive: true, force: true });
      await initRepository(repoPath, demoRepositoryFiles());
    }
    await town.addRig({
      name: DEMO_RIG,
      repoPath,
      // One change in ten breaks the checks, so rejections and reworks show up too.
      settings: { gates: [demoGate(projectRoot)], agentFailureRate: 0.1 },
    });
  }
  const missing = DEMO_POLECATS - town.listPolecats(DEMO_RIG).length;
  if (missing > 0) await town.addPolecats(DEMO_RIG, missing);
  if (town.listConvoys().length === 0 && town.listActiveBeads().length === 0) {
    const random = seededRandom(hashSeed('demo-town'));
    town.createConvoy(
      'Demo sprint 1',
      Array.from({ length: CONVOY_SIZE * 2 }, () => demoBead(random)),
    );
  }
  await town.settle();
  await writeFile(marker, 'seeded\n');
  return true;
}

/** Keeps the demo rig's backlog at least as long as its crew; returns a stop function. */
export function startDemoFeeder(town: Town): () => void {
  let sprint = 1;
  const random = seededRandom(hashSeed(`demo-feeder-${town.clock.now()}`));
  return town.bus.subscribe((event) => {
    if (event.type !== 'bead.status_changed' || event.rig !== DEMO_RIG || event.to !== 'done') return;
    const rig = town.getRig(DEMO_RIG);
    if (!rig || rig.status !== 'active') return;
    const open = town.listActiveBeads().filter((b) => b.rig === DEMO_RIG && b.status === 'open').length;
    if (open >= town.listPolecats(DEMO_RIG).length) return;
    sprint++;
    // Listeners must not re-enter the engine mid-change: top up after this tick.
    const beads = Array.from({ length: CONVOY_SIZE }, () => demoBead(random));
    queueMicrotask(() => town.createConvoy(`Demo sprint ${sprint}`, beads));
  });
}
