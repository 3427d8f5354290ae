/**
 * The Refinery: a rig's merge-queue processor. Landing order is queue order.
 *
 * Algorithm (sequential, one worker): take the head of the queue, merge it onto the
 * target branch's current tip without a checkout (merge-tree --write-tree, then
 * commit-tree), write the merge commit id down as an intent, then move the target ref
 * by compare-and-swap (update-ref <ref> <new> <old>). If the ref moved in between
 * (another writer), redo the merge on the new tip. A conflicted request goes back to its
 * polecat for rework. Because the intent is persisted before the ref moves, a restart
 * can tell "landed" from "not landed" by asking git whether the intent commit is on the
 * target (see Town.reconcile): every request lands exactly once.
 */
import type { EngineContext } from './context';
import type { MergeQueue } from './merge-queue';
import type { MergeRequest, Rig } from './model';

export interface RefineryHooks {
  /** The request's merge commit is on the target branch. */
  landed(mr: MergeRequest, queueMs: number): void;
  /** The request conflicts with the target; its polecat must rework it. */
  conflicted(mr: MergeRequest, files: string[]): void;
}

/** How many times the ref may move under one merge before it is requeued. */
const MAX_CAS_RETRIES = 5;

export class Refinery {
  private running = false;
  private stopped = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly rig: Rig,
    private readonly queue: MergeQueue,
    private readonly hooks: RefineryHooks,
  ) {}

  get busy(): boolean {
    return this.running;
  }

  /** Asks the Refinery to look at its queue; cheap and idempotent. */
  kick(): void {
    if (this.running || this.stopped || this.rig.status !== 'active') return;
    if (!this.queue.head()) return;
    this.running = true;
    this.ctx.track(this.drain(), `refinery ${this.rig.name}`);
  }

  /** Stops taking new work; the merge in hand finishes (Town.stop waits for it). */
  stop(): void {
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped || this.rig.status !== 'active') return;
        const mr = this.queue.head();
        if (!mr) return;
        await this.process(mr);
      }
    } finally {
      this.running = false;
    }
  }

  private async process(mr: MergeRequest): Promise<void> {
    const { git, clock } = this.ctx;
    const ref = `refs/heads/${this.rig.targetBranch}`;
    await this.queue.transition(mr, 'claim');
    const started = performance.now();
    for (let attempt = 0; attempt <= MAX_CAS_RETRIES; attempt++) {
      const tip = await git.resolveRef(this.rig.repoPath, ref);
      const merged = await git.mergeTree(this.rig.repoPath, tip, mr.headSha);
      if (!merged.clean) {
        await this.queue.transition(mr, 'conflict', { conflictFiles: merged.conflictFiles });
        this.hooks.conflicted(mr, merged.conflictFiles);
        return;
      }
      const commit = await git.commitTree(
        this.rig.repoPath,
        merged.tree,
        [tip, mr.headSha],
        `Merge ${mr.branch} (${mr.beadId}) via ${mr.id}`,
      );
      // Intent before effect: if we die after update-ref, the restart finds this commit on the target.
      await this.queue.update(mr, { mergeCommit: commit });
      if (await git.compareAndSwapRef(this.rig.repoPath, ref, commit, tip)) {
        const queueMs = clock.now() - mr.enqueuedAt;
        const mergeMs = performance.now() - started;
        await this.queue.transition(mr, 'land', { landedAt: clock.now(), conflictFiles: [] });
        this.ctx.emit({
          type: 'mr.merged',
          at: clock.now(),
          rig: this.rig.name,
          mr: mr.id,
          bead: mr.beadId,
          mergeCommit: commit,
          attempts: mr.attempts,
          queueMs,
          mergeMs,
        });
        this.hooks.landed(mr, queueMs);
        return;
      }
      this.ctx.emit({
        type: 'refinery.ref_moved',
        at: clock.now(),
        rig: this.rig.name,
        mr: mr.id,
        reason: 'target moved during merge',
      });
    }
    await this.queue.transition(mr, 'requeue', { mergeCommit: null });
    this.ctx.emit({ type: 'mr.requeued', at: clock.now(), rig: this.rig.name, mr: mr.id, reason: 'target kept moving' });
  }
}
