/**
 * The demo town a newcomer sees on first start: one rig `myproject` (a generated
 * repository with core/, ui/ and tests/ areas), 8 scripted polecats and a convoy of
 * beads. A feeder tops the backlog up with new convoys so the town never goes quiet.
 * GT_DEMO_RIGS and GT_DEMO_POLECATS make it bigger (demo-size.ts): more rigs, each its
 * own generated repository with its own crew, convoy and feeder, `myproject` first.
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashSeed, pickInt, pickSkewed, seededRandom, type Random } from '../engine/random';
import type { Town } from '../engine/town';
import { demoRepositoryFiles } from '../git/demo-repo';
import { CliGit, initRepository } from '../git/cli-git';
import { demoCheck } from '../checks/demo-check';
import { checkDemoSize, DEFAULT_DEMO_SIZE, DEMO_RIG, demoRigNames, type DemoSize } from './demo-size';

export { DEMO_RIG } from './demo-size';
/** Beads per feeder convoy; the first convoy is twice that (both grow with a larger crew). */
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
export function demoBead(random: Random, rig = DEMO_RIG) {
  const area = AREAS[pickSkewed(random, AREAS.length, 0.6)];
  const paths = [`${area}/`];
  if (random.next() < 0.15) paths.push(`${AREAS[(AREAS.indexOf(area) + 1) % AREAS.length]}/`);
  const things = THINGS[area];
  return {
    rig,
    title: `${VERBS[pickInt(random, 0, VERBS.length - 1)]} ${things[pickInt(random, 0, things.length - 1)]}`,
    priority: pickSkewed(random, 5, 0.5),
    labels: [area],
    paths,
  };
}

/**
 * A rig's convoys are named by sprint: `Demo sprint N` on `myproject` (as always), and
 * `<rig> sprint N` on the others, so the convoys page says which rig each one feeds.
 */
function sprintTitle(rig: string, sprint: number): string {
  return rig === DEMO_RIG ? `Demo sprint ${sprint}` : `${rig} sprint ${sprint}`;
}

/** Beads a rig's feeder adds at a time: 16 for the default crew of 8, more for a bigger one. */
const feedSize = (polecats: number) => Math.max(CONVOY_SIZE, 2 * polecats);

/**
 * Seeds the demo town on a first start, idempotently: a first start cut short (a crash
 * while seeding) is finished on the next one, rig by rig and step by step, and a marker
 * file says when it is complete. A town with rigs of its own is never given the demo.
 */
export async function ensureDemoTown(town: Town, dataDir: string, size: DemoSize = DEFAULT_DEMO_SIZE): Promise<boolean> {
  checkDemoSize(size);
  const marker = path.join(dataDir, 'demo-seeded');
  if (existsSync(marker)) return false;
  const names = demoRigNames(size.rigs);
  if (town.rigs.list().some((r) => !names.includes(r.name))) {
    await writeFile(marker, 'skipped: the town has rigs of its own\n');
    return false;
  }
  for (const name of names) await ensureDemoRig(town, name, path.join(dataDir, 'rigs', name), size);
  await town.settle();
  await writeFile(marker, 'seeded\n');
  return true;
}

/** One demo rig: its generated repository, the rig, its crew and a first convoy of work. */
async function ensureDemoRig(town: Town, name: string, repoPath: string, size: DemoSize): Promise<void> {
  if (!town.rigs.get(name)) {
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
    await town.rigs.add({
      name,
      repoPath,
      // One change in ten breaks the checks, so rejections and reworks show up too.
      settings: { checks: [demoCheck()], agentFailureRate: 0.1 },
    });
  }
  const missing = size.polecatsPerRig - town.polecats.list(name).length;
  if (missing > 0) await town.polecats.add(name, missing);
  const title = sprintTitle(name, 1);
  const seeded = town.convoys.list().some((c) => c.title === title) || town.beads.list().some((b) => b.rig === name);
  if (!seeded) {
    // `myproject` keeps the seed it always had, so the default demo is the same on every machine.
    const random = seededRandom(hashSeed(name === DEMO_RIG ? 'demo-town' : `demo-town-${name}`));
    town.convoys.create(
      title,
      Array.from({ length: 2 * feedSize(size.polecatsPerRig) }, () => demoBead(random, name)),
    );
  }
}

/**
 * Keeps each demo rig's backlog at least as long as its crew; returns a stop function.
 * It feeds whatever active rigs the demo's repositories have now: after a split, the
 * partitions (each new bead goes to the one owning its paths); after a merge back, the
 * merged rig. Feeding only the rigs the demo was seeded with left a split town idle.
 */
export function startDemoFeeder(town: Town, size: DemoSize = DEFAULT_DEMO_SIZE): () => void {
  const names = demoRigNames(size.rigs);
  const sprints = new Map<string, number>();
  const random = seededRandom(hashSeed(`demo-feeder-${town.clock.now()}`));
  return town.bus.subscribe((event) => {
    if (event.type !== 'bead.status_changed' || event.to !== 'done') return;
    const rig = town.rigs.get(event.rig);
    if (!rig || rig.status !== 'active' || !isDemoRepository(town, names, rig.repoPath)) return;
    const crew = town.polecats.list(rig.name).length;
    const open = town.beads.list().filter((b) => b.rig === rig.name && b.status === 'open').length;
    if (open >= crew) return;
    const sprint = (sprints.get(rig.name) ?? 1) + 1;
    sprints.set(rig.name, sprint);
    const beads = Array.from({ length: feedSize(size.polecatsPerRig) }, () => {
      const bead = demoBead(random, rig.name);
      return { ...bead, rig: ownerOf(town, rig.repoPath, bead.paths) ?? rig.name };
    });
    // Listeners must not re-enter the engine mid-change: top up after this tick.
    queueMicrotask(() => town.convoys.create(sprintTitle(rig.name, sprint), beads));
  });
}

/** Whether a repository is one the demo seeded (its rigs, retired or not, are still known by name). */
function isDemoRepository(town: Town, names: string[], repoPath: string): boolean {
  return names.some((name) => town.rigs.get(name)?.repoPath === repoPath);
}

/** The active rig of this repository owning the paths (beads.route), or null when none does. */
function ownerOf(town: Town, repoPath: string, paths: string[]): string | null {
  try {
    return town.beads.route(paths, repoPath);
  } catch {
    return null; // spans partitions with no rig owning all of it: the rig that asked takes it
  }
}
