/**
 * The work cycle of polecats: the Mayor's assignments carried out, agents started in
 * their worktrees, finished work submitted to the Refinery, and the Refinery's verdicts
 * answered. The conflict loop lives here: a request that conflicted or failed a gate
 * goes back to its polecat (rebase on the new target, resubmit) until it has been
 * submitted `maxAttempts` times; then it is escalated and its bead blocked for a person.
 * An agent attempt that fails outright (a crash, no commit, a timeout) is retried the
 * same way: the bead goes back to the pool, waits `backoffMs(n)` of engine time after its
 * n-th failure, and after `maxAttempts` failed attempts it is escalated and blocked
 * instead. A rig's `maxConcurrency` caps its running agents: the Mayor hooks no more
 * beads than there are free slots, and a polecat waiting for a slot (after a conflict,
 * say) is throttled, like one waiting for its API provider.
 */
import type { EngineContext } from './context';
import type { CostMeter } from './costs';
import type { EscalationBook } from './escalations';
import { backoffMs } from './backoff';
import { ProviderLimiter } from './limiter';
import { planDispatch } from './mayor';
import type { Bead, Convoy, MergeRequest, Polecat } from './model';
import type { AgentHandle, AgentOutcome } from './ports';
import type { RigRuntime, TownRecords } from './records';

export interface WorkHooks {
  /** Whether a bead is held (by a waiting gate, or an undispatched convoy). */
  isHeld(bead: Bead): boolean;
  /** A convoy bead moved: its wave counts it. */
  beadEvent(beadId: string, event: 'hooked' | 'merged' | 'conflicted' | 'rejected'): void;
  /** A bead finished (with its convoy as it was): gates may open, its wave may have landed. */
  beadFinished(beadId: string, convoy: Convoy | undefined): void;
}

/** What the Mayor's dispatch costs: the seed's "coordination overhead". */
export interface MayorStats {
  passes: number;
  assignments: number;
  /** Real ms per dispatch decision (planning one pass). */
  decisionMs: { last: number | null; mean: number | null };
  assignmentsLastMinute: number;
}

type Mode = 'fresh' | 'rework';

export class PolecatWork {
  private readonly agents = new Map<string, AgentHandle>();
  private dispatchPending = false;
  private readonly mayor = {
    passes: 0,
    assignments: 0,
    decisionMsTotal: 0,
    lastDecisionMs: null as number | null,
    recent: [] as number[],
  };
  running = false;
  /** Failed agent attempts per bead still in play. */
  private readonly failedAttempts = new Map<string, number>();
  /** Beads backing off after a failed attempt: the engine time of their next dispatch. */
  private readonly retryAt = new Map<string, number>();
  /** Polecats whose agent has reported usage: for the others it is unknown, not zero. */
  private readonly reportedUsage = new Set<string>();
  /** Agent slots per rig (its maxConcurrency), granted in order like provider sessions. */
  private readonly rigSlots: ProviderLimiter;
  /** The rig each polecat took its slot from: a split may move a busy polecat to another rig. */
  private readonly slotRig = new Map<string, string>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly escalations: EscalationBook,
    private readonly limiter: ProviderLimiter,
    private readonly costs: CostMeter,
    private readonly hooks: WorkHooks,
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
    this.scheduleDispatch();
  }

  /** Frees the polecat's agent slots: its rig's and its API provider's. */
  private releaseSlots(polecat: Polecat): void {
    this.rigSlots.releaseSession(this.slotRig.get(polecat.id) ?? polecat.rig, polecat.id);
    this.slotRig.delete(polecat.id);
    this.limiter.releaseSession(this.records.rig(polecat.rig).rig.settings.provider, polecat.id);
  }

  mayorStats(): MayorStats {
    const since = this.ctx.clock.now() - 60_000;
    this.mayor.recent = this.mayor.recent.filter((at) => at >= since);
    return {
      passes: this.mayor.passes,
      assignments: this.mayor.assignments,
      decisionMs: {
        last: this.mayor.lastDecisionMs,
        mean: this.mayor.passes ? this.mayor.decisionMsTotal / this.mayor.passes : null,
      },
      assignmentsLastMinute: this.mayor.recent.length,
    };
  }

  /** The agent session a polecat is running, if any. */
  agent(polecatId: string): AgentHandle | undefined {
    return this.agents.get(polecatId);
  }

  /** Stops every agent; their worktrees and states stay, so work resumes on restart. */
  cancelAll(): void {
    for (const [id, handle] of this.agents) {
      handle.cancel();
      this.releaseSlots(this.records.polecat(id));
    }
    this.agents.clear();
  }

  // ------------------------------------------------------------------ dispatch

  scheduleDispatch(): void {
    if (this.dispatchPending || !this.running) return;
    this.dispatchPending = true;
    // A zero-delay timer coalesces a burst of triggers into one dispatch pass.
    this.ctx.clock.setTimer(0, () => {
      this.dispatchPending = false;
      if (this.running) this.dispatch();
    });
  }

  private dispatch(): void {
    const { records } = this;
    const started = performance.now(); // real time on purpose: the Mayor's own cost
    const assignments = planDispatch({
      rigs: [...records.rigs.values()].map((rt) => rt.rig),
      // Only open beads can be assigned: asking the gates about the rest is wasted work
      // (most beads in play are being worked on).
      beads: [...records.beads.values()].filter((b) => b.status === 'open' && !this.hooks.isHeld(b) && !this.retryAt.has(b.id)),
      idlePolecats: (rig) => this.dispatchable(rig),
      beadStatus: (id) => records.beads.get(id)?.status,
    });
    const decisionMs = performance.now() - started;
    const now = this.ctx.clock.now();
    Object.assign(this.mayor, {
      passes: this.mayor.passes + 1,
      assignments: this.mayor.assignments + assignments.length,
      decisionMsTotal: this.mayor.decisionMsTotal + decisionMs,
      lastDecisionMs: decisionMs,
    });
    for (const { bead, polecat } of assignments) {
      this.mayor.recent.push(now);
      records.setBeadStatus(bead, 'hooked', { assignee: polecat.id });
      records.movePolecat(polecat, 'assign', { beadId: bead.id });
      this.hooks.beadEvent(bead.id, 'hooked');
      this.ctx.track(this.begin(polecat, bead, 'fresh', true), `work on ${bead.id}`);
    }
    if (assignments.length > 0) this.ctx.emit({ type: 'mayor.dispatched', at: now, assignments: assignments.length, decisionMs });
  }

  /** Idle polecats the Mayor may hand a bead: no more than the rig has free agent slots. */
  private dispatchable(rig: string): Polecat[] {
    const polecats = this.records.polecatsOf(rig);
    const idle = polecats.filter((p) => p.state === 'idle');
    const max = this.records.rig(rig).rig.settings.maxConcurrency;
    if (max === null) return idle;
    const busy = polecats.filter((p) => p.state === 'working' || p.state === 'reworking' || p.state === 'throttled').length;
    return idle.slice(0, Math.max(0, max - busy));
  }

  // ------------------------------------------------------------------ running agents

  /** Prepares the worktree and runs the agent; `reset` starts from the target's tip. */
  async begin(polecat: Polecat, bead: Bead, mode: Mode, reset: boolean): Promise<void> {
    const { rig } = this.records.rig(polecat.rig);
    const { git } = this.ctx;
    const tip = await git.resolveRef(rig.repoPath, `refs/heads/${rig.targetBranch}`);
    await git.ensureWorktree(rig.repoPath, polecat.worktreePath, polecat.branch, tip);
    if (reset) await git.resetWorktree(polecat.worktreePath, tip);
    if (!this.running) return; // stopped meanwhile: the polecat resumes on next start
    if (bead.status === 'hooked') this.records.setBeadStatus(bead, 'in_progress');
    // Waiting for a slot (the rig's, then the provider's) waits on other agents: not tracked.
    this.slotRig.set(polecat.id, rig.name);
    void this.rigSlots
      .acquireSession(rig.name, polecat.id, () => this.throttle(polecat))
      .then(() => this.limiter.acquireSession(rig.settings.provider, polecat.id, () => this.throttle(polecat)))
      .then(() => {
        this.unthrottle(polecat, mode);
        if (this.running && polecat.beadId === bead.id) this.startAgent(polecat, bead, mode);
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
        this.ctx.clock.setTimer(retryAt - now, () => {
          if (this.retryAt.get(bead.id) === retryAt) this.retryAt.delete(bead.id);
          this.scheduleDispatch();
        });
      }
      this.scheduleDispatch();
      return;
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
        failedGate: null,
        gateOutput: null,
        enqueuedAt: now,
        updatedAt: now,
        landedAt: null,
      });
    }
    records.movePolecat(polecat, 'submit');
    refinery.kick();
  }

  // ------------------------------------------------------------------ the Refinery's verdicts

  landed(rt: RigRuntime, mr: MergeRequest): void {
    rt.rig.counters.merged++;
    if (mr.attempts > 1) rt.rig.counters.reworkedMerged++;
    this.records.saveRig(rt.rig);
    const bead = this.records.beads.get(mr.beadId);
    this.failedAttempts.delete(mr.beadId);
    if (bead) {
      this.hooks.beadEvent(bead.id, 'merged');
      const convoy = bead.convoyId ? this.records.convoys.get(bead.convoyId) : undefined;
      this.records.finishBead(bead, 'done');
      this.hooks.beadFinished(bead.id, convoy);
    }
    const polecat = this.records.polecats.get(mr.polecatId);
    if (polecat && polecat.beadId === mr.beadId && polecat.state === 'submitted') {
      this.records.movePolecat(polecat, 'land', { beadId: null });
    }
    this.scheduleDispatch();
  }

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
    this.hooks.beadEvent(mr.beadId, 'conflicted');
    this.sendBack(rt, mr, 'conflict', `conflicts in ${mr.conflictFiles.join(', ') || 'the target'}`);
  }

  rejected(rt: RigRuntime, mr: MergeRequest, gate: string, output: string): void {
    rt.rig.counters.rejected++;
    this.records.saveRig(rt.rig);
    this.ctx.emit({
      type: 'mr.rejected',
      at: this.ctx.clock.now(),
      rig: rt.rig.name,
      mr: mr.id,
      bead: mr.beadId,
      gate,
      output: output.slice(-2_000),
      attempts: mr.attempts,
    });
    this.hooks.beadEvent(mr.beadId, 'rejected');
    this.sendBack(rt, mr, 'reject', `gate '${gate}' failed`);
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
      this.scheduleDispatch();
      return;
    }
    if (!polecat || !bead || polecat.beadId !== bead.id) return;
    records.movePolecat(polecat, event);
    if (this.running) this.ctx.track(this.begin(polecat, bead, 'rework', true), `rework of ${bead.id}`);
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
