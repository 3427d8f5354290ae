/**
 * One rig's merge queue: the merge requests in play (not yet merged) and every
 * transition of theirs, persisted and announced. Landed requests leave memory; their
 * history is in the store.
 */
import type { EngineContext } from './context';
import { isFinished, isInQueue, nextMergeRequestStatus, type MergeRequestEvent } from './merge-request';
import type { MergeRequest } from '../../contracts/records';

export class MergeQueue {
  private readonly items = new Map<string, MergeRequest>();

  constructor(
    private readonly ctx: EngineContext,
    readonly rig: string,
    initial: MergeRequest[] = [],
  ) {
    for (const mr of initial) this.items.set(mr.id, mr);
  }

  get(id: string): MergeRequest | undefined {
    return this.items.get(id);
  }

  all(): MergeRequest[] {
    return [...this.items.values()];
  }

  depth(): number {
    let n = 0;
    for (const mr of this.items.values()) if (isInQueue(mr)) n++;
    return n;
  }

  /** Adds a new request (first submission of a bead's work). */
  enqueue(mr: MergeRequest): void {
    this.items.set(mr.id, mr);
    void this.ctx.persistence.write((s) => s.saveMergeRequest({ ...mr }));
    this.ctx.emit({
      type: 'mr.enqueued',
      at: this.ctx.clock.now(),
      rig: this.rig,
      mr: mr.id,
      bead: mr.beadId,
      polecat: mr.polecatId,
      attempt: mr.attempts,
    });
  }

  /**
   * Applies a lifecycle event plus field changes, persists and announces it. Returns the
   * write so callers that must not go on without it (merge intent) can await it.
   */
  transition(mr: MergeRequest, event: MergeRequestEvent, patch: Partial<MergeRequest> = {}): Promise<void> {
    const from = mr.status;
    const to = nextMergeRequestStatus(from, event);
    Object.assign(mr, patch, { status: to, updatedAt: this.ctx.clock.now() });
    const saved = this.ctx.persistence.write((s) => s.saveMergeRequest({ ...mr }));
    if (isFinished(to)) this.items.delete(mr.id);
    this.ctx.emit({ type: 'mr.state_changed', at: mr.updatedAt, rig: this.rig, mr: mr.id, from, to });
    return saved;
  }

  /** Records a field change that is not a transition (e.g. the merge intent). */
  update(mr: MergeRequest, patch: Partial<MergeRequest>): Promise<void> {
    Object.assign(mr, patch, { updatedAt: this.ctx.clock.now() });
    return this.ctx.persistence.write((s) => s.saveMergeRequest({ ...mr }));
  }

  /** Takes a request out of this queue to move it to another (rigs split or merged). */
  release(id: string): MergeRequest | undefined {
    const mr = this.items.get(id);
    this.items.delete(id);
    return mr;
  }

  /** Takes in a request released by another rig's queue; the caller persists it. */
  adopt(mr: MergeRequest): void {
    mr.rig = this.rig;
    this.items.set(mr.id, mr);
  }
}
