/**
 * Agent sessions: a polecat's agent started in its worktree on its bead, its heartbeats,
 * progress and token usage recorded, and its outcome carried out: a commit is submitted
 * to the rig's Refinery (a first merge request, or the reworked one resubmitted); a
 * failed attempt (a crash, no commit, a timeout) sends the bead back to the pool, where it
 * waits `backoffMs(n)` of engine time after its n-th failure (the Mayor skips it until
 * then), and after `maxAttempts` failed attempts it is escalated and blocked for a person.
 *
 * A rig's `maxConcurrency` caps its running agents and an API provider's limits cap the
 * town's: a polecat waiting for a slot (after a conflict, say) is throttled. Sessions of
 * a detached rig are cancelled with their worktrees kept; late outcomes are ignored.
 */
import type { EngineContext } from './context';
import type { CostMeter } from './costs';
import type { EscalationBook } from './escalations';
import { backoffMs } from './backoff';
import { ProviderLimiter } from './limiter';
import type { Bead, Polecat } from '../../contracts/records';
import type { AgentHandle, AgentOutcome } from './ports';
import type { TownRecords } from './records';

/** Fresh work on a bead, or rework of its merge request after a conflict or a failed check. */
export type SessionMode = 'fresh' | 'rework';
type Mode = SessionMode;

export class AgentSessions {
  private readonly agents = new Map<string, AgentHandle>();
  running = false;
  /** Failed agent attempts per bead still in play. */
  private readonly failedAttempts = new Map<string, number>();
  /** Beads backing off after a failed attempt: the engine time of their next dispatch. */
  private readonly retryAt = new Map<string, number>();
  /** Polecats whose agent has reported usage: for the others it is unknown, not zero. */
  private readonly reportedUsage = new Set<string>();
  /** Agent slots per rig (its maxConcurrency), granted in order like provider sessions. */
  private readonly rigSlots: ProviderLimiter;
  /** The rig and provider each polecat took its slots from: a split may move a busy polecat. */
  private readonly slotOwner = new Map<string, { rig: string; provider: string }>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly escalations: EscalationBook,
    private readonly limiter: ProviderLimiter,
    private readonly costs: CostMeter,
  ) {
    this.rigSlots = new ProviderLimiter(ctx.clock, (rig) => ({
      maxSessions: records.rigs.get(rig)?.rig.settings.maxConcurrency ?? null,
      tokensPerMinute: null,
    }));
  }

  /** Whether the polecat's agent has ever reported its token usage (since the server started). */
  usageReported(polecatId: string): boolean {
    return this.reportedUsage.has(polecatId);
  }

  /** A rig's maxConcurrency changed: waiting polecats get the slots that now fit. */
  concurrencyChanged(): void {
    this.rigSlots.limitsChanged();
  }

  /** The agent session a polecat is running, if any. */
  agent(polecatId: string): AgentHandle | undefined {
    return this.agents.get(polecatId);
  }

  /** A bead landed: its failed attempts are history. */
  forgetFailures(beadId: string): void {
    this.failedAttempts.delete(beadId);
    this.retryAt.delete(beadId);
  }

  /** The engine time before which a bead that failed an attempt is not dispatched again. */
  notBefore(beadId: string): number | undefined {
    const at = this.retryAt.get(beadId);
    if (at !== undefined && at <= this.ctx.clock.now()) this.retryAt.delete(beadId);
    return this.retryAt.get(beadId);
  }

  /** Stops every agent; their worktrees and states stay, so work resumes on restart. */
  cancelAll(): void {
    for (const id of [...this.agents.keys()]) this.cancel(id);
  }

  /** Stops the agents of one rig's polecats (detach); worktrees and states stay. */
  cancelRig(rig: string): void {
    for (const p of this.records.polecatsOf(rig)) {
      this.cancel(p.id);
      this.releaseSlots(p); // also a polecat still waiting in line for a slot
    }
  }

  /** Stops one polecat's agent and frees its slots (the polecat is being removed); its state is the caller's. */
  stop(polecatId: string): void {
    this.cancel(polecatId);
    this.releaseSlots({ id: polecatId });
  }

  private cancel(polecatId: string): void {
    const handle = this.agents.get(polecatId);
    if (!handle) return;
    handle.cancel();
    this.agents.delete(polecatId);
    this.releaseSlots({ id: polecatId });
  }

  /** Frees the polecat's agent slots: its rig's and its API provider's. */
  private releaseSlots(polecat: Pick<Polecat, 'id'>): void {
    const owner = this.slotOwner.get(polecat.id);
    if (!owner) return;
    this.rigSlots.releaseSession(owner.rig, polecat.id);
    this.limiter.releaseSession(owner.provider, polecat.id);
    this.slotOwner.delete(polecat.id);
  }

  /** Whether work on this polecat may go on: the engine runs and its rig is attached, not detaching. */
  private mayWork(polecat: Polecat): boolean {
    return this.running && this.records.holds(polecat) && this.records.live(polecat.rig);
  }

  /** Prepares the worktree and runs the agent; `reset` starts from the target's tip. */
  async begin(polecat: Polecat, bead: Bead, mode: Mode, reset: boolean): Promise<void> {
    const { rig } = this.records.rig(polecat.rig);
    const { git } = this.ctx;
    const tip = await git.resolveRef(rig.repoPath, `refs/heads/${rig.targetBranch}`);
    await git.ensureWorktree(rig.repoPath, polecat.worktreePath, polecat.branch, tip);
    if (reset) await git.resetWorktree(polecat.worktreePath, tip);
    // Stopped or detached meanwhile: the polecat resumes on the next start or attach.
    if (!this.mayWork(polecat)) return;
    if (bead.status === 'hooked') this.records.setBeadStatus(bead, 'in_progress');
    // Waiting for a slot (the rig's, then the provider's) waits on other agents: not tracked.
    this.slotOwner.set(polecat.id, { rig: rig.name, provider: rig.settings.provider });
    void this.rigSlots
      .acquireSession(rig.name, polecat.id, () => this.throttle(polecat))
      .then(() => this.limiter.acquireSession(rig.settings.provider, polecat.id, () => this.throttle(polecat)))
      .then(() => {
        this.unthrottle(polecat, mode);
        if (this.mayWork(polecat) && polecat.beadId === bead.id) this.startAgent(polecat, bead, mode);
        else this.releaseSlots(polecat);
      });
  }

  private throttle(polecat: Polecat): void {
    if (polecat.state === 'working' || polecat.state === 'reworking') this.records.movePolecat(polecat, 'throttle');
  }

  private unthrottle(polecat: Polecat, mode: Mode): void {
    if (polecat.state === 'throttled') this.records.movePolecat(polecat, mode === 'rework' ? 'unthrottle-rework' : 'unthrottle');
  }

  private startAgent(polecat: Polecat, bead: Bead, mode: Mode): void {
    const { rig } = this.records.rig(polecat.rig);
    const { clock } = this.ctx;
    const provider = rig.settings.provider;
    const mr = mode === 'rework' ? this.records.mergeRequestFor(polecat) : undefined;
    this.agents.get(polecat.id)?.cancel();
    // The scripted agent always reports usage; an external one may not, and then its
    // run is on record as unmetered, so the costs never look complete when they are not.
    const external = rig.settings.agent.kind !== 'scripted';
    let reported = false;
    const handle = this.ctx.agents.start({
      rig,
      polecat,
      bead,
      mode,
      // Submissions so far after a conflict; failed runs so far on a fresh bead.
      attempt: mr ? mr.attempts + 1 : (this.failedAttempts.get(bead.id) ?? 0) + 1,
      track: (work) => this.ctx.during(work),
      heartbeat: () => {
        polecat.lastHeartbeatAt = clock.now();
      },
      progress: () => {
        polecat.lastHeartbeatAt = clock.now();
        polecat.lastProgressAt = clock.now();
        this.costs.progressed(polecat.id);
      },
      waitForCapacity: () =>
        this.limiter.waitForTokens(provider, () => this.throttle(polecat)).then(() => this.unthrottle(polecat, mode)),
      reportUsage: (usage) => {
        polecat.tokensUsed += usage.inputTokens + usage.outputTokens;
        this.reportedUsage.add(polecat.id);
        reported = true;
        polecat.lastHeartbeatAt = clock.now();
        this.limiter.recordTokens(provider, usage.inputTokens + usage.outputTokens);
        this.costs.record({ rig: rig.name, polecatId: polecat.id, convoyId: bead.convoyId, ...usage });
        this.ctx.emit({ type: 'agent.usage', at: clock.now(), rig: rig.name, polecat: polecat.id, bead: bead.id, ...usage });
      },
    });
    this.agents.set(polecat.id, handle);
    // Not tracked: an agent waits on the clock, and settle() must not wait for the clock.
    void handle.done.then(
      (outcome) => {
        if (this.agents.get(polecat.id) === handle) {
          this.agents.delete(polecat.id);
          this.releaseSlots(polecat);
        }
        if (external && !reported) {
          const at = clock.now();
          this.ctx.emit({
            type: 'agent.unmetered',
            at,
            rig: rig.name,
            polecat: polecat.id,
            bead: bead.id,
            outcome: outcome.kind,
          });
        }
        this.finish(polecat, bead, mode, outcome);
      },
      (err: unknown) => this.ctx.log.error('agent crashed', { polecat: polecat.id, error: String(err) }),
    );
  }

  /** Restart-first: a new agent session on the same bead, in the same worktree (work kept). */
  restart(polecat: Polecat, by: string): void {
    const bead = polecat.beadId ? this.records.beads.get(polecat.beadId) : undefined;
    this.ctx.emit({
      type: 'polecat.restarted',
      at: this.ctx.clock.now(),
      rig: polecat.rig,
      polecat: polecat.id,
      bead: bead?.id ?? null,
      by,
    });
    this.agents.get(polecat.id)?.cancel();
    if (this.agents.delete(polecat.id)) this.releaseSlots(polecat);
    if (!bead) return;
    if (polecat.state === 'stalled') this.records.movePolecat(polecat, 'resume');
    const mode: Mode = polecat.state === 'reworking' ? 'rework' : 'fresh';
    if (this.running) this.ctx.track(this.begin(polecat, bead, mode, false), `restart ${polecat.id}`);
  }

  private finish(polecat: Polecat, bead: Bead, mode: Mode, outcome: AgentOutcome): void {
    if (outcome.kind === 'cancelled') return; // stopped or restarted: someone else carries on
    if (!this.records.holds(polecat)) return; // its rig was detached: the next attach resumes it
    const { records } = this;
    const { queue, refinery, rig } = records.rig(polecat.rig);
    const now = this.ctx.clock.now();
    const existing = records.mergeRequestFor(polecat);
    if (outcome.kind === 'failed') {
      const failures = (this.failedAttempts.get(bead.id) ?? 0) + 1;
      this.failedAttempts.set(bead.id, failures);
      // A failed attempt backs off before the next (engine/backoff.ts: 2 s, 4 s, 8 s...):
      // a crash-looping agent costs one try per wait, not maxAttempts tries in 50 ms.
      const escalate = failures >= rig.settings.maxAttempts;
      const retryAt = escalate ? null : now + backoffMs(failures);
      this.ctx.emit({
        type: 'agent.failed',
        at: now,
        rig: rig.name,
        polecat: polecat.id,
        bead: bead.id,
        reason: outcome.reason,
        attempt: failures,
        retryAt,
      });
      if (existing) void queue.transition(existing, 'abandon');
      // The polecat lets go before the bead is reopened: a crash between the two writes
      // must never leave a bead open for dispatch while a polecat still holds it.
      records.movePolecat(polecat, 'fail', { beadId: null });
      if (retryAt === null) {
        this.failedAttempts.delete(bead.id);
        records.setBeadStatus(bead, 'blocked', { assignee: null });
        this.escalations.raise({
          severity: 'high',
          source: 'witness',
          reason: `${bead.id} failed ${failures} agent attempts (last: ${outcome.reason})`,
          rig: rig.name,
          beadId: bead.id,
          polecatId: polecat.id,
        });
      } else {
        // The bead is open (nobody holds it) but the Mayor skips it until retryAt.
        this.retryAt.set(bead.id, retryAt);
        records.setBeadStatus(bead, 'open', { assignee: null });
      }
      return; // the Mayor hears the polecat go idle and hands the bead out again after retryAt
    }
    polecat.lastProgressAt = now;
    this.ctx.emit({ type: 'polecat.committed', at: now, rig: rig.name, polecat: polecat.id, bead: bead.id, head: outcome.head });
    if (mode === 'rework' && existing) {
      void queue.transition(existing, 'resubmit', { headSha: outcome.head, attempts: existing.attempts + 1 });
      this.ctx.emit({
        type: 'mr.enqueued',
        at: now,
        rig: rig.name,
        mr: existing.id,
        bead: bead.id,
        polecat: polecat.id,
        attempt: existing.attempts,
      });
    } else {
      queue.enqueue({
        id: records.newId('mr', (id) => queue.get(id) !== undefined),
        rig: rig.name,
        polecatId: polecat.id,
        beadId: bead.id,
        branch: polecat.branch,
        headSha: outcome.head,
        status: 'queued',
        priority: bead.priority,
        attempts: 1,
        mergeCommit: null,
        conflictFiles: [],
        failedCheck: null,
        checkOutput: null,
        checkRuns: [],
        enqueuedAt: now,
        updatedAt: now,
        landedAt: null,
      });
    }
    records.movePolecat(polecat, 'submit');
    refinery.kick();
  }

  // ------------------------------------------------------------------ restart of the town

  /** Picks a polecat's work up again after a server restart, keeping its worktree as it is. */
  resume(p: Polecat): void {
    const { records } = this;
    if (p.state === 'idle' || p.state === 'stalled') return; // stalled ones wait for a person
    const bead = p.beadId ? records.beads.get(p.beadId) : undefined;
    if (!bead) {
      records.movePolecat(p, 'release', { beadId: null });
      return;
    }
    const mr = records.mergeRequestFor(p);
    if (p.state === 'submitted') {
      if (mr?.status === 'conflicted' || mr?.status === 'rejected') {
        records.movePolecat(p, mr.status === 'conflicted' ? 'conflict' : 'reject');
        this.ctx.track(this.begin(p, bead, 'rework', true), `rework of ${bead.id}`);
      } else if (!mr) this.ctx.track(this.begin(p, bead, 'fresh', false), `resume ${bead.id}`);
      return;
    }
    const returned = mr?.status === 'conflicted' || mr?.status === 'rejected';
    const mode: Mode = p.state === 'reworking' || returned ? 'rework' : 'fresh';
    this.ctx.track(this.begin(p, bead, mode, false), `resume ${bead.id}`);
  }
}
