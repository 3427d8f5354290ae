/**
 * Wave measurements: as a convoy's beads move (hooked, merged, conflicted, rejected,
 * finished), their wave counts them, starts and lands. The numbers let staggered and
 * all-at-once runs of the same work be compared (convoys.ts plans the waves).
 */
import type { EngineContext } from './context';
import type { Convoy } from '../../contracts/records';
import type { TownRecords } from './records';

export class Waves {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
  ) {}

  /** Called as a convoy's beads move: dispatch, merge outcomes, landing. */
  beadEvent(beadId: string, event: 'hooked' | 'merged' | 'conflicted' | 'rejected'): void {
    const bead = this.records.beads.get(beadId);
    const convoy = bead?.convoyId ? this.records.convoys.get(bead.convoyId) : undefined;
    if (!convoy) return;
    const wave = convoy.waves.find((w) => w.beads.includes(beadId));
    if (!wave) return;
    const now = this.ctx.clock.now();
    if (event === 'hooked' && wave.dispatchedAt === null) {
      wave.dispatchedAt = now;
      this.ctx.emit({ type: 'wave.started', at: now, convoy: convoy.id, wave: wave.index });
    }
    if (event === 'merged') wave.merged++;
    if (event === 'conflicted') wave.conflicts++;
    if (event === 'rejected') wave.rejections++;
    this.records.saveConvoy(convoy);
  }

  /** After a bead finished (the convoy as it was before, which may have just landed): its wave may have landed. */
  beadFinished(convoy: Convoy | undefined, beadId: string): void {
    if (!convoy) return;
    const wave = convoy.waves.find((w) => w.beads.includes(beadId));
    if (!wave || wave.landedAt !== null || wave.beads.some((b) => this.records.beadStatus(b) !== undefined)) return;
    const now = this.ctx.clock.now();
    wave.landedAt = now;
    this.records.saveConvoy(convoy);
    this.ctx.emit({
      type: 'wave.landed',
      at: now,
      convoy: convoy.id,
      wave: wave.index,
      merged: wave.merged,
      conflicts: wave.conflicts,
      rejections: wave.rejections,
      durationMs: now - (wave.dispatchedAt ?? now),
    });
  }
}
