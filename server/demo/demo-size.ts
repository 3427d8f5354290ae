/**
 * How big the demo town is: GT_DEMO_RIGS rigs with GT_DEMO_POLECATS polecats each (read in
 * server/config.ts). One rig of 8 is what a newcomer sees; 20 x 5 is the town the issue asks
 * the overview to stay readable and fast with (bench/page-timing.ts).
 */
export interface DemoSize {
  rigs: number;
  polecatsPerRig: number;
}

/** The demo a newcomer sees: one rig, `myproject`, with 8 polecats. */
export const DEFAULT_DEMO_SIZE: DemoSize = { rigs: 1, polecatsPerRig: 8 };

/**
 * Bounds on the size. Every rig is a generated repository and every polecat a worktree, made
 * before the server listens: 100 x 50 is already minutes of git on a small machine, and past
 * that a typo (GT_DEMO_RIGS=800) should fail at start rather than fill the disk.
 */
export const DEMO_SIZE_LIMITS = { rigs: { min: 1, max: 100 }, polecatsPerRig: { min: 1, max: 50 } } as const;

/** The rig everybody's docs, tests and examples talk about; always the first demo rig. */
export const DEMO_RIG = 'myproject';

/** A demo town's rig names: `myproject` first, then `rig-02`, `rig-03`, ... (`rig-100` at most). */
export function demoRigNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? DEMO_RIG : `rig-${String(i + 1).padStart(2, '0')}`));
}

/** Refuses a size outside DEMO_SIZE_LIMITS (or not whole numbers), saying which and why. */
export function checkDemoSize(size: DemoSize): DemoSize {
  for (const key of ['rigs', 'polecatsPerRig'] as const) {
    const { min, max } = DEMO_SIZE_LIMITS[key];
    const value = size[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`demo town ${key} must be a whole number from ${min} to ${max}, got ${value}`);
    }
  }
  return size;
}
