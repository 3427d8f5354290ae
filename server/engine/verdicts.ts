/**
 * The Refinery's verdicts answered. A landed request completes its bead (its convoy's
 * wave counts it, gates waiting on it may open) and frees its polecat. The conflict loop:
 * a request that conflicted or failed a check goes back to its polecat (rebase on the new
 * target, resubmit) until it has been submitted `maxAttempts` times; then it is escalated
 * and its bead blocked for a person.
 */
import type { AgentSessions } from './agent-sessions';
import type { EngineContext } from './context';
import type { EscalationBook } from './escalations';
import type { GateBook } from './gate';
import type { MergeRequest } from '../../contracts/records';
import type { RigRuntime, TownRecords } from './records';
import type { Waves } from './waves';

export class Verdicts {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly sessions: AgentSessions,
    private readonly escalations: EscalationBook,
    private readonly waves: Waves,
    private readonly gates: GateBook,
  ) {}

  /**
   * The request's merge commit is on the target branch. Its bookkeeping (the rig's
   * counter, the bead done, the polecat freed) is one write: a crash inside it would
   * leave a counted landing whose bead recovery completes, and counts, again.
   */
  landed(rt: RigRuntime, mr: MergeRequest): void {
    this.records.together(() => this.#landed(rt, mr));
  }

  #landed(rt: RigRuntime, mr: MergeRequest): void {
    rt.rig.counters.merged++;
    if (mr.attempts > 1) rt.rig.counters.reworkedMerged++;
    this.records.saveRig(rt.rig);
    const bead = this.records.beads.get(mr.beadId);
    this.sessions.forgetFailures(mr.beadId);
    if (bead) {
      this.waves.beadEvent(bead.id, 'merged');
      const convoy = bead.convoyId ? this.records.convoys.get(bead.convoyId) : undefined;
      this.records.finishBead(bead, 'done');
      this.waves.beadFinished(convoy, bead.id);
      this.gates.openReady();
    }
    const polecat = this.records.polecats.get(mr.polecatId);
    if (polecat && polecat.beadId === mr.beadId && polecat.state === 'submitted') {
      this.records.movePolecat(polecat, 'land', { beadId: null });
    }
  }

  /** The request conflicts with the target; its polecat must rework it. */
  conflicted(rt: RigRuntime, mr: MergeRequest): void {
    rt.rig.counters.conflicts++;
    this.records.saveRig(rt.rig);
    this.ctx.emit({
      type: 'mr.conflicted',
      at: this.ctx.clock.now(),
      rig: rt.rig.name,
      mr: mr.id,
      bead: mr.beadId,
      files: mr.conflictFiles,
      attempts: mr.attempts,
    });
    this.waves.beadEvent(mr.beadId, 'conflicted');
    this.sendBack(rt, mr, 'conflict', `conflicts in ${mr.conflictFiles.join(', ') || 'the target'}`);
  }

  /** A check failed on the request over the current target. */
  rejected(rt: RigRuntime, mr: MergeRequest, check: string, output: string): void {
    rt.rig.counters.rejected++;
    this.records.saveRig(rt.rig);
    this.ctx.emit({
      type: 'mr.rejected',
      at: this.ctx.clock.now(),
      rig: rt.rig.name,
      mr: mr.id,
      bead: mr.beadId,
      check,
      output: output.slice(-2_000),
      attempts: mr.attempts,
    });
    this.waves.beadEvent(mr.beadId, 'rejected');
    this.sendBack(rt, mr, 'reject', `check '${check}' failed`);
  }

  private sendBack(rt: RigRuntime, mr: MergeRequest, event: 'conflict' | 'reject', why: string): void {
    const { records } = this;
    const polecat = records.polecats.get(mr.polecatId);
    const bead = records.beads.get(mr.beadId);
    if (mr.attempts >= rt.rig.settings.maxAttempts) {
      void rt.queue.transition(mr, 'escalate');
      const reason = `${mr.id} for ${mr.beadId} failed ${mr.attempts} times (last: ${why})`;
      const at = this.ctx.clock.now();
      this.ctx.emit({ type: 'mr.escalated', at, rig: rt.rig.name, mr: mr.id, bead: mr.beadId, attempts: mr.attempts, reason });
      this.escalations.raise({
        severity: 'high',
        source: 'refinery',
        reason,
        rig: rt.rig.name,
        beadId: mr.beadId,
        polecatId: mr.polecatId,
        mergeRequestId: mr.id,
      });
      if (polecat && polecat.beadId === mr.beadId && polecat.state !== 'idle')
        records.movePolecat(polecat, 'release', { beadId: null });
      if (bead) records.setBeadStatus(bead, 'blocked', { assignee: null });
      return;
    }
    if (!polecat || !bead || polecat.beadId !== bead.id) return;
    records.movePolecat(polecat, event);
    if (this.sessions.running) this.ctx.track(this.sessions.begin(polecat, bead, 'rework', true), `rework of ${bead.id}`);
  }
}
