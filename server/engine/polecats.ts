/**
 * Polecats, the worker agents: listed per rig, added with their own worktree and branch,
 * and whether their token count means anything. Their work is agent-sessions.ts; their
 * supervision (restart, nudge) is supervision.ts.
 */
import path from 'node:path';
import type { AgentSessions } from './agent-sessions';
import type { EngineContext } from './context';
import type { Polecat } from '../../contracts/records';
import type { TownRecords } from './records';

/** Names polecats are given, in order, per rig (Gas Town's are from Mad Max). */
const POLECAT_NAMES =
  'furiosa nux slit rictus capable toast dag cheedo ace morsov keeper valkyrie corpus scrotus organic prime miss giddy glory angharad'.split(
    ' ',
  );

export class Polecats {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly sessions: AgentSessions,
    /** Where polecat worktrees live: `<workDir>/worktrees/<rig>/<polecat>`. */
    private readonly workDir: string,
  ) {}

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
      // Ids stay unique across rigs: a polecat moved by a split keeps the id it had.
      if (taken.has(name) || this.records.polecats.has(`${rigName}/${name}`)) continue;
      taken.add(name);
      const polecat: Polecat = {
        id: `${rigName}/${name}`,
        rig: rigName,
        name,
        state: 'idle',
        beadId: null,
        // Rigs split from one repository share it, so branches are named per rig.
        branch: `polecat/${rigName}/${name}`,
        worktreePath: path.join(this.workDir, 'worktrees', rigName, name),
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
