/**
 * Polecats, the worker agents: listed per rig, added with their own worktree and branch,
 * and whether their token count means anything. Their work is agent-sessions.ts; their
 * supervision (restart, nudge) is supervision.ts.
 */
import path from 'node:path';
import type { AgentSessions } from './agent-sessions';
import type { EngineContext } from './context';
import { conflict } from './errors';
import type { Polecat } from '../../contracts/records';
import type { TownRecords } from './records';

/** Names polecats are given, in order, per rig (Gas Town's are from Mad Max). */
const POLECAT_NAMES =
  'furiosa nux slit rictus capable toast dag cheedo ace morsov keeper valkyrie corpus scrotus organic prime miss giddy glory angharad'.split(
    ' ',
  );

/**
 * A polecat's id, branch and worktree, all from the rig it is in and its name: `<rig>/<name>`,
 * `polecat/<rig>/<name>` (rigs split from one repository share it), and
 * `<workDir>/worktrees/<rig>/<name>`. Names are unique within a rig, so ids are unique in the town.
 */
export function polecatIdentity(workDir: string, rig: string, name: string): Pick<Polecat, 'id' | 'branch' | 'worktreePath'> {
  return { id: `${rig}/${name}`, branch: `polecat/${rig}/${name}`, worktreePath: path.join(workDir, 'worktrees', rig, name) };
}

/** What `polecat.remove` did: removed now, or marked to go once its bead is done. */
export interface PolecatRemoval {
  polecat: string;
  removed: boolean;
  /** The bead it finishes first (removed: false), or the one `force` returned to the queue. */
  bead: string | null;
}

export class Polecats {
  /** Busy polecats to remove once they are idle again (their bead landed or was released), and by whom. */
  private readonly leaving = new Map<string, string>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly sessions: AgentSessions,
    /** Where polecat worktrees live: `<workDir>/worktrees/<rig>/<polecat>`. */
    private readonly workDir: string,
  ) {
    ctx.bus.subscribe((event) => {
      // After a restart or an attach, polecats a split or merge moved take their rig's id.
      if (event.type === 'town.started') this.followRigs(this.list());
      if (event.type === 'rig.attached') this.followRigs(this.list(event.rig));
      if (event.type !== 'polecat.state_changed' || event.to !== 'idle') return;
      const by = this.leaving.get(event.polecat);
      const p = this.records.polecats.get(event.polecat);
      if (!p) return;
      if (by === undefined) {
        // After the step that freed it (a landing's transaction still gathers its save).
        ctx.track(
          Promise.resolve().then(() => this.followRigs([p])),
          `rename of ${p.id}`,
        );
        return;
      }
      this.leaving.delete(event.polecat);
      // drop() takes it out of play before its first await: the Mayor's pass (a timer) never sees it idle.
      ctx.track(this.drop(p, null, by), `removal of ${p.id}`);
    });
  }

  /**
   * Removes a polecat with its worktree: an idle one at once; a busy one after
   * its bead (it takes no new one meanwhile); with `force`, a busy one at once, its bead
   * back to the queue. Refused with `force` while its merge request is at the Refinery
   * (the landing would have no polecat to answer to).
   */
  async remove(id: string, options: { force: boolean }, by: string): Promise<PolecatRemoval> {
    const p = this.records.polecat(id);
    if (p.state === 'idle') {
      await this.drop(p, null, by);
      return { polecat: id, removed: true, bead: null };
    }
    if (!options.force) {
      this.leaving.set(id, by);
      return { polecat: id, removed: false, bead: p.beadId };
    }
    if (p.state === 'submitted')
      throw conflict(`${id}'s merge request for ${p.beadId} is at the Refinery; remove it without --force to go once it lands`);
    const bead = p.beadId ? this.records.beads.get(p.beadId) : undefined;
    this.sessions.stop(id);
    this.leaving.delete(id);
    this.records.movePolecat(p, 'release', { beadId: null });
    if (bead) this.records.setBeadStatus(bead, 'open', { assignee: null });
    await this.drop(p, bead?.id ?? null, by);
    return { polecat: id, removed: true, bead: bead?.id ?? null };
  }

  private async drop(p: Polecat, returned: string | null, by: string): Promise<void> {
    const { rig } = this.records.rig(p.rig);
    this.records.dropPolecat(p.id);
    await this.records.commit({ deletedPolecats: [p.id] });
    await this.ctx.git.removeWorktree(rig.repoPath, p.worktreePath);
    this.ctx.emit({ type: 'polecat.removed', at: this.ctx.clock.now(), rig: p.rig, polecat: p.id, returned, by });
  }

  /**
   * Gives idle polecats whose id names another rig (a split or merge moved them) the id,
   * branch and worktree of the rig they are in, so `<rig>/<name>` always names the rig. A
   * busy one waits until its bead is done: its agent, merge request and branch are in flight
   * under the old names. The old worktree goes; the new one is made when work starts.
   */
  followRigs(polecats: Polecat[]): void {
    for (const p of polecats) {
      if (!this.records.holds(p) || p.state !== 'idle' || this.leaving.has(p.id)) continue;
      if (p.id === polecatIdentity(this.workDir, p.rig, p.name).id) continue;
      // The id may still be held by a polecat that moved away and is busy: the name yields.
      const others = this.records.polecatsOf(p.rig).filter((x) => x !== p);
      const free = (n: string) => !this.records.polecats.has(`${p.rig}/${n}`) && !others.some((x) => x.name === n);
      let name = p.name;
      for (let n = 2; !free(name); n++) name = `${p.name}-${n}`;
      const renamed: Polecat = { ...p, name, ...polecatIdentity(this.workDir, p.rig, name) };
      this.records.dropPolecat(p.id);
      this.records.reindexPolecat(renamed);
      const { repoPath } = this.records.rig(p.rig).rig;
      this.ctx.track(
        this.records
          .commit({ polecats: [renamed], deletedPolecats: [p.id] })
          .then(() => this.ctx.git.removeWorktree(repoPath, p.worktreePath)),
        `rename of ${p.id}`,
      );
      this.ctx.emit({ type: 'polecat.renamed', at: this.ctx.clock.now(), rig: p.rig, polecat: renamed.id, was: p.id });
    }
  }

  /** A rig's polecats, or the whole town's. */
  list(rig?: string): Polecat[] {
    return rig ? this.records.polecatsOf(rig) : [...this.records.polecats.values()];
  }

  get(id: string): Polecat | undefined {
    return this.records.polecats.get(id);
  }

  /**
   * Whether a polecat's token count means anything: the scripted agent always reports;
   * an external one only when it prints usage lines. Unknown is shown as unknown, never 0.
   */
  usageKnown(polecat: Polecat): boolean {
    const rig = this.records.rigs.get(polecat.rig)?.rig;
    return rig?.settings.agent.kind === 'scripted' || polecat.tokensUsed > 0 || this.sessions.usageReported(polecat.id);
  }

  /** Adds `count` polecats to a rig, each with its own worktree and branch. */
  async add(rigName: string, count: number): Promise<Polecat[]> {
    const { rig } = this.records.rig(rigName);
    const { git, clock } = this.ctx;
    const tip = await git.resolveRef(rig.repoPath, `refs/heads/${rig.targetBranch}`);
    const added: Polecat[] = [];
    const taken = new Set(this.records.polecatsOf(rigName).map((p) => p.name));
    for (let i = 0; added.length < count; i++) {
      const round = Math.floor(i / POLECAT_NAMES.length);
      const name = POLECAT_NAMES[i % POLECAT_NAMES.length] + (round > 0 ? `-${round + 1}` : '');
      // A busy polecat moved away by a split keeps its id until its bead is done (followRigs).
      if (taken.has(name) || this.records.polecats.has(`${rigName}/${name}`)) continue;
      taken.add(name);
      const polecat: Polecat = {
        ...polecatIdentity(this.workDir, rigName, name),
        rig: rigName,
        name,
        state: 'idle',
        beadId: null,
        lastHeartbeatAt: null,
        lastProgressAt: null,
        stateSince: clock.now(),
        tokensUsed: 0,
        health: 'ok',
        strikes: 0,
      };
      await git.ensureWorktree(rig.repoPath, polecat.worktreePath, polecat.branch, tip);
      this.records.putPolecat(polecat);
      this.ctx.emit({ type: 'polecat.added', at: clock.now(), rig: rigName, polecat: polecat.id });
      added.push(polecat);
    }
    return added;
  }
}
