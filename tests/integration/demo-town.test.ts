/**
 * The demo town's size (GT_DEMO_RIGS, GT_DEMO_POLECATS): the seed makes every rig with its
 * own repository, crew and convoy, finishes an interrupted seed without doubling anything,
 * leaves a seeded town alone on restart, and bad sizes are refused before anything starts.
 * Real git in a temporary directory, virtual time (nothing is dispatched: the town is not started).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedAgentRuntime } from '../../server/agents/scripted-agent';
import { loadConfig } from '../../server/config';
import { demoRigNames } from '../../server/demo/demo-size';
import { ensureDemoTown, startDemoFeeder } from '../../server/demo/demo-town';
import { ClockedChecks } from '../../server/checks/clocked-checks';
import { createHarness, runUntil } from '../support/engine-harness';
import { VirtualClock } from '../../server/engine/clock';
import type { TownStore } from '../../server/engine/ports';
import { createEngine } from '../../server/engine/assembly';
import type { Town } from '../../server/engine/town';
import { CliGit } from '../../server/git/cli-git';
import { CheckRunner } from '../../server/checks/check-runner';
import { MemoryStore } from '../../server/store/memory-store';

/** The server's configuration for these variables (and nothing else set). */
const configWith = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A town on `store` whose data directory is `dataDir` (as server/main.ts opens it). */
function openTown(store: TownStore, dataDir: string): Promise<Town> {
  const clock = new VirtualClock();
  const git = new CliGit();
  return createEngine({
    clock,
    git,
    store,
    agents: new ScriptedAgentRuntime({ clock, git }),
    checks: new CheckRunner({ scratchRoot: path.join(dataDir, 'scratch') }),
    workDir: dataDir,
  });
}

/** What the seed made, per rig: polecats, active beads, and the titles of its convoys. */
function census(town: Town) {
  return town.rigs.list().map((rig) => {
    const beads = town.beads.list().filter((b) => b.rig === rig.name);
    const ids = new Set(beads.map((b) => b.id));
    return {
      rig: rig.name,
      repoPath: rig.repoPath,
      polecats: town.polecats.list(rig.name).length,
      beads: beads.length,
      convoys: town.convoys
        .list()
        .filter((c) => c.beadIds.some((id) => ids.has(id)))
        .map((c) => c.title),
    };
  });
}

describe('demo town size', () => {
  it('seeds 3 rigs with their own repository, polecats and convoy when GT_DEMO_RIGS=3', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-demo-size-'));
    const size = configWith({ GT_DEMO_RIGS: '3', GT_DEMO_POLECATS: '2' }).demoSize;
    expect(size).toEqual({ rigs: 3, polecatsPerRig: 2 });
    const town = await openTown(new MemoryStore(), dir);

    expect(await ensureDemoTown(town, dir, size)).toBe(true);

    expect(census(town)).toEqual(
      ['myproject', 'rig-02', 'rig-03'].map((rig) => ({
        rig,
        repoPath: path.join(dir!, 'rigs', rig),
        polecats: 2,
        // A first convoy of at least 32 beads, as the one-rig demo always had.
        beads: 32,
        convoys: [rig === 'myproject' ? 'Demo sprint 1' : `${rig} sprint 1`],
      })),
    );
    for (const rig of town.rigs.list()) expect(existsSync(path.join(rig.repoPath, '.git')), rig.name).toBe(true);
    expect(existsSync(path.join(dir, 'demo-seeded'))).toBe(true);
  });

  it('leaves a seeded town as it is on restart, and finishes a seed cut short without doubling anything', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-demo-size-'));
    const size = { rigs: 3, polecatsPerRig: 2 };
    const store = new MemoryStore();
    // A first start that got through two rigs of three, then died before writing the marker.
    const first = await openTown(store, dir);
    await ensureDemoTown(first, dir, { ...size, rigs: 2 });
    await rm(path.join(dir, 'demo-seeded'));
    const cutShort = census(first);

    const resumed = await openTown(store, dir);
    expect(await ensureDemoTown(resumed, dir, size)).toBe(true);
    const seeded = census(resumed);
    expect(seeded.slice(0, 2)).toEqual(cutShort);
    expect(seeded.map((r) => [r.rig, r.polecats, r.beads, r.convoys.length])).toEqual([
      ['myproject', 2, 32, 1],
      ['rig-02', 2, 32, 1],
      ['rig-03', 2, 32, 1],
    ]);

    const restarted = await openTown(store, dir);
    expect(await ensureDemoTown(restarted, dir, size)).toBe(false);
    expect(census(restarted)).toEqual(seeded);
  });

  it('keeps the one-rig demo of 8 polecats when the size is not set', async () => {
    expect(configWith({}).demoSize).toEqual({ rigs: 1, polecatsPerRig: 8 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-demo-size-'));
    const town = await openTown(new MemoryStore(), dir);
    await ensureDemoTown(town, dir);
    expect(census(town)).toEqual([
      { rig: 'myproject', repoPath: path.join(dir, 'rigs', 'myproject'), polecats: 8, beads: 32, convoys: ['Demo sprint 1'] },
    ]);
  });

  it.each([
    ['GT_DEMO_RIGS', '0'],
    ['GT_DEMO_RIGS', '101'],
    ['GT_DEMO_RIGS', 'many'],
    ['GT_DEMO_POLECATS', '0'],
    ['GT_DEMO_POLECATS', '51'],
    ['GT_DEMO_POLECATS', '2.5'],
  ])('refuses %s=%s at start, naming the variable', (name, value) => {
    expect(() => configWith({ [name]: value })).toThrow(new RegExp(`Invalid configuration: .*${name}`));
  });

  it('refuses a size out of bounds from code too, before touching the data directory', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-demo-size-'));
    const town = await openTown(new MemoryStore(), dir);
    await expect(ensureDemoTown(town, dir, { rigs: 101, polecatsPerRig: 5 })).rejects.toThrow(
      /rigs must be a whole number from 1 to 100/,
    );
    expect(town.rigs.list()).toEqual([]);
    expect(existsSync(path.join(dir, 'rigs'))).toBe(false);
  });

  it('names rigs myproject, rig-02 ... rig-100', () => {
    const names = demoRigNames(100);
    expect(names.slice(0, 3)).toEqual(['myproject', 'rig-02', 'rig-03']);
    expect(names.at(-1)).toBe('rig-100');
    expect(new Set(names).size).toBe(100);
  });
});

describe('demo feeder', () => {
  const PARTITIONS = ['core', 'ui', 'tests'].map((a) => ({ name: `myproject-${a}`, globs: [`${a}/**`] }));

  it('feeds the partitions after a split and the merged rig after a merge back', async () => {
    const h = await createHarness({ checks: (clock) => new ClockedChecks(clock, { durationMs: () => 10_000 }) });
    try {
      const town = await h.open();
      await ensureDemoTown(town, h.dir, { rigs: 1, polecatsPerRig: 3 });
      const stop = startDemoFeeder(town, { rigs: 1, polecatsPerRig: 3 });
      town.start();
      const fedTo = (rig: string) => town.beads.list().filter((b) => b.rig === rig && b.status === 'open').length;
      await runUntil(h.clock, town, () => town.rigs.get('myproject')!.counters.merged >= 2, 3_600_000, 5_000);
      await town.rigs.split('myproject', { partitions: PARTITIONS }, 'test');
      const beadsAtSplit = new Set(town.beads.list().map((b) => b.id));
      const newBeads = () => town.beads.list().filter((b) => !beadsAtSplit.has(b.id));
      // The seeded backlog runs down and the feeder tops the partitions up, each bead to the partition owning its paths.
      await runUntil(h.clock, town, () => newBeads().length > 0, 8 * 3_600_000, 10_000);
      expect(newBeads().length).toBeGreaterThan(0);
      for (const bead of newBeads()) {
        expect(bead.rig).toMatch(/^myproject-/);
        if (bead.paths.length === 1) expect(bead.rig).toBe(`myproject-${bead.paths[0].replace('/', '')}`);
      }
      expect(fedTo('myproject')).toBe(0);

      await town.rigs.merge('myproject-core', 'test');
      const beadsAtMerge = new Set(town.beads.list().map((b) => b.id));
      const fedAfterMerge = () => town.beads.list().filter((b) => !beadsAtMerge.has(b.id));
      await runUntil(h.clock, town, () => fedAfterMerge().length > 0, 8 * 3_600_000, 10_000);
      expect(fedAfterMerge().length).toBeGreaterThan(0);
      expect(fedAfterMerge().every((b) => b.rig === 'myproject')).toBe(true);
      stop();
      await town.stop();
    } finally {
      await h.cleanup();
    }
  }, 300_000);
});
