/**
 * Rebuilding a rig on a node whose disk never held it (cluster failover across machines,
 * docs/cluster.md): the store has the rig's records, its upstream has the code; the clone
 * and the polecats' worktrees another node had are not here. Only for rigs landing on an
 * upstream; a rig landing locally has its repository on this machine and nowhere else.
 *
 * - `rehome`, before the records are reconciled with git: the rig's clone is this node's
 *   own, `<rigsRoot>/<rig>`, cloned from the recorded upstream when it is missing; its
 *   polecats' worktrees are this node's `<workDir>/worktrees/<rig>/<polecat>` (created when
 *   their work starts). The new paths are written under this node's lease epoch.
 * - `returnLostWork`, after the reconcile, for a rig that came from elsewhere: a request
 *   whose head is neither in the upstream's target nor on the polecat's branch there (heads
 *   are pushed at submit: `publishHead`) is abandoned, and so is the work of a polecat whose
 *   agent was still at it (its changes were on the other node's disk only): the polecat is
 *   freed and its bead goes back to the queue, where the Mayor hands it out again.
 */
import path from 'node:path';
import type { EngineContext } from './context';
import { UpstreamError } from './errors';
import { isFinished } from './merge-request';
import { polecatIdentity } from './polecats';
import type { UpstreamPort } from './ports';
import type { RigRuntime, TownRecords } from './records';

export class RigRebuild {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly upstream: UpstreamPort,
    private readonly dirs: { rigsRoot: string; workDir: string },
  ) {}

  /** Points the rig at this node's clone (cloned when missing); true when it came from elsewhere. */
  async rehome(rt: RigRuntime): Promise<boolean> {
    const { rig } = rt;
    const url = rig.settings.upstreamUrl;
    if (rig.settings.landing !== 'upstream' || !url) return false;
    const home = path.join(this.dirs.rigsRoot, rig.name);
    let moved = path.resolve(rig.repoPath) !== path.resolve(home);
    try {
      await this.upstream.cloneBare(url, home, { branch: rig.targetBranch, timeoutMs: 10 * 60_000 });
      moved = true; // nothing of it was on this disk
      this.ctx.log.info(`rig ${rig.name}: cloned its upstream into ${home} (rebuilt on this node)`);
    } catch (error) {
      if (!(error instanceof UpstreamError && error.kind === 'exists')) throw error;
      // This node's clone from an earlier run: the reconcile's fetch brings its target up to
      // date, and the polecats' branches are fetched here, so their next pushes lease on what
      // the other node pushed there since (a stale view would be refused).
      if (moved)
        for (const p of this.records.polecatsOf(rig.name)) await this.upstream.fetchUpstream(home, p.branch).catch(() => null);
    }
    if (!moved) return false;
    this.records.together(() => {
      rig.repoPath = home;
      this.records.saveRig(rig);
      for (const p of this.records.polecatsOf(rig.name)) {
        p.worktreePath = polecatIdentity(this.dirs.workDir, rig.name, p.name).worktreePath;
        this.records.savePolecat(p);
      }
    });
    return true;
  }

  /** Abandons the work that stayed on the other node's disk; its beads go back to the queue. */
  async returnLostWork(rt: RigRuntime): Promise<void> {
    const { records } = this;
    const name = rt.rig.name;
    const target = await this.ctx.git.resolveRef(rt.rig.repoPath, `refs/heads/${rt.rig.targetBranch}`);
    const lost: string[] = [];
    for (const mr of rt.queue.all()) {
      if (isFinished(mr.status) || (await this.headKnown(rt, mr.headSha, mr.branch, target))) continue;
      await rt.queue.transition(mr, 'abandon');
      const p = records.polecats.get(mr.polecatId);
      if (p && p.beadId === mr.beadId && p.state !== 'idle') records.movePolecat(p, 'release', { beadId: null });
      lost.push(mr.beadId);
    }
    for (const p of records.polecatsOf(name)) {
      if (p.state === 'idle' || p.state === 'submitted') continue;
      const mr = records.mergeRequestFor(p);
      if (mr && !isFinished(mr.status)) await rt.queue.transition(mr, 'abandon');
      if (p.beadId) lost.push(p.beadId);
      records.movePolecat(p, 'release', { beadId: null });
    }
    for (const bead of records.beads.values()) {
      if (bead.rig !== name || (bead.status !== 'hooked' && bead.status !== 'in_progress')) continue;
      const holder = bead.assignee ? records.polecats.get(bead.assignee) : undefined;
      if (!holder || holder.beadId !== bead.id) records.setBeadStatus(bead, 'open', { assignee: null });
    }
    if (lost.length > 0)
      this.ctx.log.warn(`rig ${name}: work only the previous node had goes back to the queue`, { beads: lost });
    await this.ctx.persistence.write(async () => {});
  }

  /** Whether `head` is here: in the target (it landed) or on the polecat's branch upstream. */
  private async headKnown(rt: RigRuntime, head: string, branch: string, target: string): Promise<boolean> {
    const repo = rt.rig.repoPath;
    // A commit this clone has not got makes git exit 128: not known.
    const within = (tip: string) => this.ctx.git.isAncestor(repo, head, tip).catch(() => false);
    if (await within(target)) return true;
    const pushed = await this.upstream.fetchUpstream(repo, branch).catch(() => null);
    return pushed !== null && (await within(pushed));
  }
}
