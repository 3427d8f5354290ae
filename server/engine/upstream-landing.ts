/**
 * Landing on a rig's upstream (setting `landing: 'upstream'`): the Refinery's target is
 * the upstream's branch, and the rig's local target ref only follows it. One landing is,
 * in this order:
 *
 *   1. the merge commit is recorded on its merge requests (the intent: the Refinery);
 *   2. the commit is pushed to the upstream branch by compare-and-swap, leased on the tip
 *      it was merged onto (UpstreamPort.pushLanding), so nobody's commit is ever replaced;
 *   3. the local target ref moves by compare-and-swap, and the requests are recorded landed.
 *
 * The upstream is the truth for what landed: a crash after 2 leaves the local ref and the
 * record behind, and reconcile (recovery.ts) finds the recorded commit on the upstream tip.
 * Pushing after the local move instead would let a crash leave a landing the team never
 * sees, recorded as done.
 */
import type { EngineContext } from './context';
import type { Rig } from '../../contracts/records';
import type { Repeating } from './clock';
import type { UpstreamPort } from './ports';
import type { TownRecords } from './records';

/** Where the target is after a fetch. */
export interface Followed {
  tip: string;
  /** The local target was moved onto the upstream's new commits. */
  moved: boolean;
  /** The upstream does not contain the local target: left where it is. */
  diverged: boolean;
}

/** Compare-and-swaps of the local target a fetch tries before it gives up (a held lock). */
const FOLLOW_ATTEMPTS = 3;

export type Landed = { moved: true } | { moved: false; now: string };

/** A rig's way onto its upstream: one per Refinery, used while the rig's setting says `landing: 'upstream'`. */
export class UpstreamLanding {
  /** Pushes that failed in a row (the upstream unreachable), and the last reason. */
  private failures = { count: 0, reason: '' };
  private diverged = false;
  private schedule: Repeating | null = null;
  private scheduledEvery: number | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly upstream: UpstreamPort,
    private readonly rig: Rig,
  ) {}

  private get ref(): string {
    return `refs/heads/${this.rig.targetBranch}`;
  }

  /** Whether the rig lands upstream now (its setting can change while it runs). */
  get active(): boolean {
    return this.rig.settings.landing === 'upstream';
  }

  /** What a patrol should know: pushes failing, a rewritten upstream. */
  health(): string[] {
    const findings: string[] = [];
    if (this.failures.count > 0)
      findings.push(`pushing to the upstream failed ${this.failures.count} times: ${this.failures.reason}`);
    if (this.diverged) {
      findings.push(`the upstream's ${this.rig.targetBranch} does not contain the local target (rewritten?): nothing lands`);
    }
    return findings;
  }

  /** Counts a push the upstream did not answer; returns how many failed in a row. */
  failed(error: unknown): number {
    this.failures = { count: this.failures.count + 1, reason: error instanceof Error ? error.message : String(error) };
    this.ctx.log.warn(`refinery ${this.rig.name}: pushing to the upstream failed`, { ...this.failures });
    return this.failures.count;
  }

  /**
   * Calls `fetch` every `fetchIntervalMs` while the rig lands upstream, re-armed when the
   * setting changes (call it on every pass of the Refinery); `stop` ends it.
   */
  keepFetching(fetch: () => void): void {
    const every = this.active ? this.rig.settings.fetchIntervalMs : null;
    if (every === this.scheduledEvery) return;
    this.stop();
    this.scheduledEvery = every;
    if (every !== null) this.schedule = this.ctx.clock.every(every, fetch);
  }

  stop(): void {
    this.schedule?.stop();
    this.schedule = null;
    this.scheduledEvery = null;
  }

  /**
   * Fetches the upstream branch and fast-forwards the local target onto it by
   * compare-and-swap. A local target the upstream does not contain (the upstream's history
   * was rewritten, or the rig landed locally before) is left where it is: `diverged`.
   */
  async follow(): Promise<Followed> {
    const { git } = this.ctx;
    const repo = this.rig.repoPath;
    const upstreamTip = await this.upstream.fetchUpstream(repo, this.rig.targetBranch);
    for (let attempt = 0; attempt < FOLLOW_ATTEMPTS; attempt++) {
      const local = await git.resolveRef(repo, this.ref);
      this.diverged = local !== upstreamTip && !(await git.isAncestor(repo, local, upstreamTip));
      if (local === upstreamTip) return { tip: upstreamTip, moved: false, diverged: false };
      if (this.diverged) return { tip: local, moved: false, diverged: true };
      // A sibling partition may move the shared ref between the read and the swap: read again.
      if (await git.compareAndSwapRef(repo, this.ref, upstreamTip, local))
        return { tip: upstreamTip, moved: true, diverged: false };
    }
    throw new Error(`cannot move ${this.ref} onto the upstream's ${upstreamTip.slice(0, 12)} (locked?)`);
  }

  /**
   * Lands `commit` (merged onto `oldTip`): pushed to the upstream first, then the local
   * target. `moved: false` when the upstream had moved since `oldTip` (fetched and
   * followed: `now` is the new tip). Throws when the upstream cannot be reached; then the
   * commit is not on the upstream as far as anyone could tell.
   */
  async land(commit: string, oldTip: string): Promise<Landed> {
    const { git, log } = this.ctx;
    const repo = this.rig.repoPath;
    let pushed: boolean;
    try {
      pushed = (await this.upstream.pushLanding(repo, commit, this.rig.targetBranch, oldTip)).status === 'pushed';
    } catch (error) {
      // git may have failed after the upstream took the push (a timeout): ask the upstream.
      const { tip } = await this.follow();
      if (await git.isAncestor(repo, commit, tip)) return { moved: true };
      throw error;
    }
    this.failures = { count: 0, reason: '' };
    if (!pushed) {
      const { tip } = await this.follow();
      return { moved: false, now: tip };
    }
    if (!(await git.compareAndSwapRef(repo, this.ref, commit, oldTip))) {
      // A sibling partition followed the upstream first. The landing stands (it is upstream);
      // the local ref catches up now or on the next fetch.
      await this.follow().catch((error: unknown) =>
        log.warn(`refinery ${this.rig.name}: local target behind the upstream`, { error: String(error) }),
      );
    }
    return { moved: true };
  }

  /**
   * How many of `heads` (in landing order) touch no file the upstream's new commits
   * `from..to` touch: their merges are redone on `to` and their validations kept. The
   * first that overlaps ends the run (every later one was validated on top of it).
   */
  async untouchedBy(from: string, to: string, heads: string[]): Promise<number> {
    const { git } = this.ctx;
    const repo = this.rig.repoPath;
    if (!(await git.isAncestor(repo, from, to))) return 0;
    const theirs = new Set(await git.changedFiles(repo, from, to));
    let count = 0;
    for (const head of heads) {
      const ours = await git.changedFiles(repo, from, head);
      if (ours.some((file) => theirs.has(file))) break;
      count++;
    }
    return count;
  }
}

/**
 * Publishes a polecat's branch on its rig's upstream after its agent committed (setting
 * `pushBranches`), so people can review an agent's work before it lands. Best effort: a
 * failed push is logged and changes nothing in the town; the next commit pushes again.
 */
export function pushReviewBranch(ctx: EngineContext, upstream: UpstreamPort, rig: Rig, branch: string): void {
  if (rig.settings.landing !== 'upstream' || !rig.settings.pushBranches) return;
  ctx.track(
    upstream.pushBranch(rig.repoPath, branch).then((result) => {
      if (result.status === 'rejected_stale') {
        ctx.log.warn(`rig ${rig.name}: ${branch} was changed upstream by somebody else; not replaced`);
      }
    }),
    `rig ${rig.name}: push ${branch} for review`,
  );
}

/**
 * Pushes a polecat's branch to its rig's upstream once its merge request is recorded
 * (cluster mode), so a node on another machine that takes the rig over finds the request's
 * head (rig-rebuild.ts). Fenced like the record: the push waits for the request's write,
 * and a node whose write was refused (the rig is another node's now) no longer holds the
 * rig live, so it pushes nothing. The lease on the branch (UpstreamPort.pushBranch) never
 * replaces what another node pushed there since this clone last saw it.
 */
export function publishHead(
  ctx: EngineContext,
  records: TownRecords,
  upstream: UpstreamPort,
  rig: string,
  polecat: string,
): void {
  const rt = records.rigs.get(rig);
  const p = records.polecats.get(polecat);
  if (!rt || !p || rt.rig.settings.landing !== 'upstream') return;
  const { repoPath } = rt.rig;
  ctx.track(
    ctx.persistence
      .write(async () => {})
      .then(async () => {
        if (!records.live(rig)) return;
        const result = await upstream.pushBranch(repoPath, p.branch);
        if (result.status === 'rejected_stale')
          ctx.log.warn(`rig ${rig}: ${p.branch} was changed upstream by another node; not replaced`);
      })
      .catch((error: unknown) => ctx.log.warn(`rig ${rig}: pushing ${p.branch} failed`, { error: String(error) })),
    `rig ${rig}: publish ${p.branch}`,
  );
}
