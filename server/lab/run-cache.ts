/**
 * What-if runs kept by their parameters. A run is deterministic (the same parameters and
 * seed give the same run), so a kept result is the answer, not an approximation: the
 * "before" run every candidate of a lever shares, the calibration's fit runs of a rig
 * whose history has not moved, the same preview asked twice.
 */
import type { LabParams, LabResult } from '../../contracts/lab';
import { runLab } from './run';

export class RunCache {
  private readonly kept = new Map<string, LabResult>();

  /** @param size runs kept, the least recently used dropped first */
  constructor(private readonly size = 32) {}

  async run(params: LabParams, signal?: AbortSignal): Promise<LabResult> {
    const key = JSON.stringify(params);
    const hit = this.kept.get(key);
    if (hit) {
      this.kept.delete(key); // re-inserted below: most recently used last
      this.kept.set(key, hit);
      return hit;
    }
    const result = await runLab(params, { signal });
    this.kept.set(key, result);
    if (this.kept.size > this.size) this.kept.delete(this.kept.keys().next().value!);
    return result;
  }
}
