/**
 * Calibration and previews from a live rig. The "live" rig here is a town with a full
 * event history (MemoryStore) whose parameters we know: calibration must read them back
 * from the history, and previews must move the figures the way the lever says.
 */
import { describe, expect, it } from 'vitest';
import type { Town } from '../../server/engine/town';
import { MemoryStore } from '../../server/store/memory-store';
import { calibrate } from '../../server/lab/calibrate';
import { LabParamsError } from '../../server/lab/params';
import { LabService } from '../../server/lab/service';
import { runLab } from '../../server/lab/run';

async function liveTown(params: Parameters<typeof runLab>[0]): Promise<{ town: Town; store: MemoryStore }> {
  const store = new MemoryStore();
  let town: Town | undefined;
  await runLab(params, { store, onOpen: (t) => (town = t) });
  return { town: town!, store };
}

describe('calibration from a live rig', () => {
  it('reads work time, check time, polecats and the conflict rate back from the rig history', async () => {
    const { town, store } = await liveTown({
      polecatsPerRig: 8,
      hours: 6,
      workMinutes: 20,
      checkMinutes: 2,
      mergeSeconds: 0,
      seed: 3,
    });
    const c = await calibrate(town, store, 'myproject');
    expect(c.recorded.polecats).toBe(8);
    expect(c.recorded.workMinutes.sample).toBeGreaterThan(20);
    expect(c.recorded.workMinutes.value!).toBeGreaterThan(15);
    expect(c.recorded.workMinutes.value!).toBeLessThan(27);
    expect(c.recorded.checkMinutes.value!).toBeGreaterThan(1.5);
    expect(c.recorded.checkMinutes.value!).toBeLessThan(2.5);
    expect(c.params.polecatsPerRig).toBe(8);
    // The fitted model lands near the recorded conflict rate.
    expect(c.fittedConflictRate).not.toBeNull();
    expect(Math.abs(c.fittedConflictRate! - c.recorded.conflictRate.value!)).toBeLessThan(0.12);
  });

  it('previews more Refinery workers as more throughput on a saturated rig, and changes nothing live', async () => {
    const { town, store } = await liveTown({ polecatsPerRig: 20, hours: 4, checkMinutes: 6, seed: 4 });
    const lab = new LabService(town, store);
    const before = town.rigs.get('myproject')!.settings.refineryWorkers;
    const p = await lab.preview({ rig: 'myproject', change: { kind: 'scale', workers: 3 } });
    expect(p.after.params.workers).toBe(3);
    expect(p.after.figures.mergesPerHour).toBeGreaterThan(p.before.figures.mergesPerHour * 1.5);
    expect(town.rigs.get('myproject')!.settings.refineryWorkers).toBe(before);
  });

  it('previews staggering a held convoy in waves: fewer conflicts than all at once, landing later', async () => {
    const { town, store } = await liveTown({ polecatsPerRig: 20, hours: 2, seed: 6 });
    const beads = Array.from({ length: 20 }, (_, i) => ({ title: `sprint ${i}`, rig: 'myproject', paths: ['core/'] }));
    const convoy = town.convoys.create('sprint', beads, { hold: true, by: 'test' });
    const lab = new LabService(town, store);
    const p = await lab.preview({ rig: 'myproject', change: { kind: 'stagger', convoy: convoy.id, waveSize: 5 } });
    expect(p.before.params.convoy).toEqual({ beads: 20, waveSize: null });
    expect(p.after.params.convoy).toEqual({ beads: 20, waveSize: 5 });
    expect(p.after.figures.conflicts).toBeLessThan(p.before.figures.conflicts);
    expect(p.after.figures.convoyLandedMs!).toBeGreaterThan(p.before.figures.convoyLandedMs!);
    await expect(lab.preview({ rig: 'myproject', change: { kind: 'stagger', convoy: 'cv-nope', waveSize: 5 } })).rejects.toThrow(
      /does not exist/,
    );
  });

  it('previews a split into partitions with the polecats divided', async () => {
    const { town, store } = await liveTown({ polecatsPerRig: 12, hours: 3, seed: 5 });
    const lab = new LabService(town, store);
    const p = await lab.preview({
      rig: 'myproject',
      change: {
        kind: 'split',
        partitions: [
          { name: 'core', globs: ['core/**'] },
          { name: 'ui', globs: ['ui/**'] },
        ],
      },
    });
    expect(p.after.params.split).toBe(2);
    expect(p.before.params.split).toBe(1);
    expect(p.notes.join(' ')).toMatch(/2 rigs/);
  });

  it('refuses bad previews and oversized interactive runs with clear errors', async () => {
    const { town, store } = await liveTown({ polecatsPerRig: 2, hours: 0.5 });
    const lab = new LabService(town, store);
    await expect(lab.preview({ rig: 'myproject', change: { kind: 'scale', workers: 0 } })).rejects.toThrow(/workers/);
    await expect(lab.preview({ rig: 'nope', change: { kind: 'scale', workers: 2 } })).rejects.toThrow(
      /rig 'nope' does not exist/,
    );
    await expect(lab.preview({ rig: 'myproject', change: { kind: 'teleport' } })).rejects.toBeInstanceOf(LabParamsError);
    await expect(lab.run({ rigs: 100, polecatsPerRig: 10, hours: 24 })).rejects.toThrow(/too big for an interactive run/);
    await expect(lab.runScenario('nope', {})).rejects.toThrow(/scenario 'nope' does not exist/);
    await expect(lab.run({ polecatsPerRig: 50, hours: 8, workMinutes: 0.1 })).rejects.toThrow(/beads is too big/);
  });
});
