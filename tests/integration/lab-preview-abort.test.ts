/**
 * A preview that nobody waits for any more stops: the signal reaches the simulation loop
 * (a run stops between two instants of virtual time), a preview waiting for its turn
 * leaves the queue, and the lab is free for the next one. Progress is reported per run, and
 * the next preview of a rig starts its fit from the last one.
 */
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../contracts/events';
import type { PreviewProgress } from '../../contracts/lab';
import type { Town } from '../../server/engine/town';
import { MemoryStore } from '../../server/store/memory-store';
import { LabService } from '../../server/lab/service';
import { RunCache } from '../../server/lab/run-cache';
import { parseLabParams } from '../../server/lab/params';
import { runLab } from '../../server/lab/run';

/** A live town like the demo's: 8 polecats, quick beads and checks, with a recorded history. */
async function demoLikeTown(): Promise<{ town: Town; store: MemoryStore }> {
  const store = new MemoryStore();
  let town: Town | undefined;
  await runLab(
    { polecatsPerRig: 8, hours: 0.5, workMinutes: 0.2, checkMinutes: 0.05, mergeSeconds: 0, seed: 3 },
    { store, onOpen: (t) => (town = t) },
  );
  return { town: town!, store };
}

describe('stopping a what-if', () => {
  it('stops a run inside its simulation loop when the signal aborts', async () => {
    const stop = new AbortController();
    let town: Town | undefined;
    let merged = 0;
    let startedAt = 0;
    const hours = 8;
    const run = runLab(
      { polecatsPerRig: 8, hours, workMinutes: 0.2, checkMinutes: 0.05, seed: 1 },
      {
        signal: stop.signal,
        onOpen: (t) => {
          town = t;
          startedAt = t.clock.now();
          t.bus.subscribe((e: DomainEvent) => {
            if (e.type === 'mr.merged' && ++merged === 20) stop.abort(new Error('the asker left'));
          });
        },
      },
    );
    await expect(run).rejects.toThrow('the asker left');
    // Eight hours of 12 s beads are thousands of merges; the run stopped right after the 20th.
    expect(merged).toBeLessThan(30);
    expect(town!.clock.now() - startedAt).toBeLessThan(hours * 3_600_000);
    const mergedWhenStopped = merged;
    await new Promise((r) => setTimeout(r, 50)); // nothing keeps running behind the rejection
    expect(merged).toBe(mergedWhenStopped);
  });

  it('stops a preview at its step, reports no step after it, and leaves the lab free for the next', async () => {
    const { town, store } = await demoLikeTown();
    const lab = new LabService(town, store);
    const stop = new AbortController();
    const seen: PreviewProgress[] = [];
    const first = lab.preview(
      { rig: 'myproject', change: { kind: 'scale', workers: 3 } },
      {
        signal: stop.signal,
        onProgress: (p) => {
          seen.push(p);
          stop.abort();
        },
      },
    );
    // Queued behind the first; its own asker leaves before its turn.
    const leaving = new AbortController();
    const queued = lab
      .preview({ rig: 'myproject', change: { kind: 'scale', workers: 2 } }, { signal: leaving.signal })
      .catch((err: Error) => err);
    leaving.abort();
    await expect(first).rejects.toThrow(/abort/i);
    expect(String(await queued)).toMatch(/abort/i);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ step: 1 });

    const steps: PreviewProgress[] = [];
    const next = await lab.preview(
      { rig: 'myproject', change: { kind: 'scale', workers: 3 } },
      { onProgress: (p) => steps.push(p) },
    );
    expect(next.after.params.workers).toBe(3);
    expect(steps.map((s) => s.step)).toEqual(steps.map((_, i) => i + 1));
    // The last two steps are the runs without and with the change, and the count is exact by then.
    expect(steps.at(-1)).toMatchObject({ label: 'simulating the change', steps: steps.length });
    expect(steps.at(-2)?.label).toBe('simulating now');
  });

  it('checks the last fit first on the next preview of the rig: fewer runs, the same calibration', async () => {
    const { town, store } = await demoLikeTown();
    const lab = new LabService(town, store);
    const count = async (workers: number) => {
      const steps: PreviewProgress[] = [];
      const p = await lab.preview({ rig: 'myproject', change: { kind: 'scale', workers } }, { onProgress: (s) => steps.push(s) });
      return { p, fits: steps.filter((s) => s.label.startsWith('calibrating')).length };
    };
    const first = await count(2);
    const second = await count(3);
    expect(first.p.calibration.fittedTo).toBe('events');
    expect(second.fits).toBe(2);
    expect(first.fits).toBeGreaterThan(2);
    expect(second.p.calibration.params).toEqual(first.p.calibration.params);
    expect(second.p.before.figures).toEqual(first.p.before.figures);
  });

  it('keeps runs by their parameters: the same what-if is answered from the first run', async () => {
    const cache = new RunCache(2);
    const params = parseLabParams({ polecatsPerRig: 3, hours: 0.5, seed: 2 });
    const a = await cache.run(params);
    expect(await cache.run(parseLabParams({ seed: 2, hours: 0.5, polecatsPerRig: 3 }))).toBe(a);
    expect(await cache.run({ ...params, seed: 3 })).not.toBe(a);
  });
});
