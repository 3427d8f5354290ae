/**
 * The seed's first table, measured on the real engine: polecats on one rig, real git,
 * the built-in scripted agent, virtual time. Reports the conflict rate (conflicts per
 * merge attempt, with the sample size), merge throughput, the Refinery's git merge path
 * (merge-tree + merge commit + update-ref, real ms) and the wall time of the run. The run
 * ends when no bead can move any more: every bead landed, or is blocked because its
 * merge request failed `maxAttempts` times and was escalated (counted as `escalated`).
 */
import { demoBead } from '../server/demo/demo-town';
import { hashSeed, seededRandom } from '../server/engine/random';
import type { DomainEvent } from '../contracts/events';
import { createHarness, runUntil } from '../tests/support/engine-harness';

export interface ConflictRow {
  polecats: number;
  beads: number;
  attempts: number;
  conflicts: number;
  conflictRate: number;
  /** Beads blocked after their merge request failed `maxAttempts` times (escalated to a person). */
  escalated: number;
  mergePathP50Ms: number;
  virtualHours: number;
  wallSeconds: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

export async function conflictScaling(polecats: number, beadsPerPolecat = 4): Promise<ConflictRow> {
  const h = await createHarness();
  const wallStart = performance.now();
  try {
    const town = await h.open();
    const mergeMs: number[] = [];
    town.bus.subscribe((e: DomainEvent) => {
      if (e.type === 'mr.merged') mergeMs.push(e.mergeMs);
    });
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 30 * 60_000 } });
    await town.polecats.add('myproject', polecats);
    const random = seededRandom(hashSeed(`bench-${polecats}`));
    const beads = polecats * beadsPerPolecat;
    town.convoys.create(
      'bench',
      Array.from({ length: beads }, () => demoBead(random)),
    );
    const startAt = h.clock.now();
    town.start();
    // Done when no bead can move any more: all landed, or blocked by an escalation.
    const settled = () => town.beads.list().every((b) => b.status === 'blocked');
    await runUntil(h.clock, town, settled, 7 * 24 * 3_600_000, 10_000);
    const escalated = town.beads.list().length;
    const { merged, conflicts } = town.rigs.get('myproject')!.counters;
    const virtualHours = (h.clock.now() - startAt) / 3_600_000;
    await town.stop();
    return {
      polecats,
      beads,
      attempts: merged + conflicts,
      conflicts,
      conflictRate: conflicts / (merged + conflicts),
      escalated,
      mergePathP50Ms: percentile(mergeMs, 50),
      virtualHours,
      wallSeconds: (performance.now() - wallStart) / 1000,
    };
  } finally {
    await h.cleanup();
  }
}
