/**
 * Recovery: makes a rig's loaded records agree with git after a stop, a crash or a detach
 * (the store is the truth for intent, git for what landed). A landing and the bookkeeping
 * around it are several writes; whichever of them a crash cut off, this finishes the job:
 * - a request caught mid-merge landed iff its recorded merge commit is on the target;
 *   otherwise it goes back to the queue (never lands twice, never lost). For a rig that
 *   lands upstream the target is the upstream's branch, read by a fetch (a crash may have
 *   come between the push and the local ref), and the local ref is moved onto it;
 * - a request recorded as merged whose bead is still in play completes its bead;
 * - a polecat and its bead agree on who holds whom: a polecat still holding a finished
 *   bead is freed; a polecat holding an open,
 *   unassigned bead takes it back (its worktree has the work); one holding a bead
 *   assigned elsewhere (or blocked) lets go; a bead marked as taken by a polecat that
 *   does not hold it goes back to open.
 * Lock files a killed git left behind are removed only when the engine opens, before
 * anything of ours runs in the repository.
 */
import type { EngineContext } from './context';
import type { TownStore, UpstreamPort } from './ports';
import type { RigRuntime, TownRecords } from './records';
import { UpstreamLanding } from './upstream-landing';
import type { Verdicts } from './verdicts';

export class Recovery {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly verdicts: Verdicts,
    private readonly store: TownStore,
    private readonly upstream: UpstreamPort | null,
  ) {}

  /** Removes lock files a killed git process left behind (nothing of ours runs yet). */
  async clearStaleLocks(repos: Iterable<string>): Promise<void> {
    for (const repo of new Set(repos)) {
      const removed = await this.ctx.git.clearStaleLocks(repo);
      if (removed.length) this.ctx.log.warn('removed lock files a killed git process left behind', { repo, removed });
    }
  }

  /** Reconciles the records of these rigs (just loaded) with git. */
  async reconcile(rigs: RigRuntime[]): Promise<void> {
    const { git, clock } = this.ctx;
    const { records } = this;
    for (const rt of rigs) {
      const tip = await this.landedTip(rt);
      for (const mr of rt.queue.all()) {
        if (mr.status !== 'merging') continue;
        // A merge commit this clone has not got (made by a node that died before pushing it: a
        // rig rebuilt from its upstream) makes git exit 128: it never reached the target.
        const landed = mr.mergeCommit !== null && (await git.isAncestor(rt.rig.repoPath, mr.mergeCommit, tip).catch(() => false));
        if (landed) {
          await rt.queue.transition(mr, 'land', { landedAt: clock.now() });
          this.verdicts.landed(rt, mr);
        } else {
          await rt.queue.transition(mr, 'requeue', { mergeCommit: null });
          this.ctx.emit({ type: 'mr.requeued', at: clock.now(), rig: rt.rig.name, mr: mr.id, reason: 'restart before landing' });
        }
      }
    }
    const names = new Set(rigs.map((rt) => rt.rig.name));
    const inPlay = [...records.beads.values()].filter((b) => names.has(b.rig)).map((b) => b.id);
    if (inPlay.length > 0) {
      for (const mr of await this.store.listMergeRequests({ status: ['merged'], beadIds: inPlay })) {
        const rt = records.rigs.get(mr.rig);
        if (rt && records.beads.has(mr.beadId)) this.verdicts.landed(rt, mr);
      }
    }
    for (const rig of names) {
      for (const p of records.polecatsOf(rig)) {
        if (!p.beadId) continue;
        const bead = records.beads.get(p.beadId);
        if (!bead) {
          // Its bead is finished (history, no longer in play): a crash came after the bead
          // was recorded done but before its polecat was freed.
          if (p.state !== 'idle') records.movePolecat(p, p.state === 'submitted' ? 'land' : 'release', { beadId: null });
          else Object.assign(p, { beadId: null });
          continue;
        }
        if (bead.assignee === p.id) continue;
        if (bead.status === 'open' && bead.assignee === null && p.state !== 'idle') {
          records.setBeadStatus(bead, 'in_progress', { assignee: p.id });
        } else if (p.state !== 'idle') records.movePolecat(p, 'release', { beadId: null });
        else Object.assign(p, { beadId: null });
      }
    }
    for (const bead of records.beads.values()) {
      if (!names.has(bead.rig) || (bead.status !== 'hooked' && bead.status !== 'in_progress')) continue;
      const holder = bead.assignee ? records.polecats.get(bead.assignee) : undefined;
      if (!holder || holder.beadId !== bead.id) records.setBeadStatus(bead, 'open', { assignee: null });
    }
    // Its writes land before the rig's roles start (a write barrier: other rigs keep going).
    await this.ctx.persistence.write(async () => {});
  }

  /**
   * The commit everything landed is in: the local target, or for a rig landing upstream the
   * upstream's tip (fetched, the local target moved onto it). Upstream unreachable: the
   * newest tip this clone knows of (its last push or fetch); a request that landed beyond
   * it goes back to the queue and its re-merge finds its head already on the target.
   */
  private async landedTip(rt: RigRuntime): Promise<string> {
    const { git, log } = this.ctx;
    const { repoPath, targetBranch, settings } = rt.rig;
    const local = await git.resolveRef(repoPath, `refs/heads/${targetBranch}`);
    if (settings.landing !== 'upstream') return local;
    if (!this.upstream) {
      log.error(`rig ${rt.rig.name} lands upstream but this engine has no upstream port`);
      return local;
    }
    try {
      return (await new UpstreamLanding(this.ctx, this.upstream, rt.rig).follow()).tip;
    } catch (error) {
      log.warn(`rig ${rt.rig.name}: cannot fetch the upstream to reconcile`, { error: String(error) });
      const known = await git.resolveRef(repoPath, `refs/remotes/origin/${targetBranch}`).catch(() => local);
      return (await git.isAncestor(repoPath, local, known)) ? known : local;
    }
  }
}
