/**
 * A rig's runtime as a unit: its records (the rig, its merge requests, its polecats, its
 * beads in play) and its roles (merge queue, Refinery, Witness, its polecats' agent
 * sessions). This is the seam rigs come and go through while the town runs:
 *
 * - `attach` loads one stored rig's records, reconciles them with git (recovery.ts) and
 *   starts its roles (a rig claimed from another node is rebuilt first: rig-rebuild.ts);
 *   opening the engine is attaching every stored rig, adding a rig is attaching a new one.
 * - `detach` drains it: no new work starts on it, its Witness stops, its agents are
 *   cancelled with their worktrees kept, a landing in hand finishes and the requests its
 *   Refinery held go back to the queue; once its writes have landed, its records leave
 *   memory. The store is left as a restart would find it, so a later attach (here, or on
 *   another node) picks the work up where it stopped.
 *
 * Neither touches another rig: other Refineries, Witnesses and agents keep running.
 */
import type { AgentSessions } from './agent-sessions';
import type { EngineContext } from './context';
import type { EscalationBook } from './escalations';
import { conflict, notFound } from './errors';
import { MergeQueue } from './merge-queue';
import type { MergeRequest, Polecat, Rig } from '../../contracts/records';
import type { CheckPort, TownState, UpstreamPort } from './ports';
import type { RigRuntime, TownRecords } from './records';
import type { Recovery } from './recovery';
import type { RigRebuild } from './rig-rebuild';
import { Refinery } from './refinery';
import { RefineryStats } from './refinery-stats';
import { seedStatsFromHistory } from './stats-history';
import { DEFAULT_RIG_SETTINGS, ZERO_COUNTERS } from './rig-settings';
import type { Supervision } from './supervision';
import type { Verdicts } from './verdicts';

/** What an attach or a detach moved in or out of memory. */
export interface RigAttachment {
  rig: string;
  polecats: number;
  beads: number;
  mergeRequests: number;
}

/** A stored rig with the settings and counters added since it was saved. */
function normalised(stored: Rig): Rig {
  return {
    ...stored,
    settings: { ...DEFAULT_RIG_SETTINGS, ...stored.settings },
    counters: { ...ZERO_COUNTERS, ...stored.counters },
  };
}

function withHealth(p: Polecat): Polecat {
  return { ...p, health: p.health ?? 'ok', strikes: p.strikes ?? 0 };
}

export class RigRuntimes {
  private running = false;
  /** Rigs being attached or detached right now (one change at a time per rig). */
  private readonly changing = new Set<string>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly records: TownRecords,
    private readonly checks: CheckPort,
    private readonly upstream: UpstreamPort | null,
    private readonly verdicts: Verdicts,
    private readonly supervision: Supervision,
    private readonly sessions: AgentSessions,
    private readonly recovery: Recovery,
    /** Null on a single server (or without an upstream port): a rig's clone stays where it is. */
    private readonly rebuild: RigRebuild | null,
    /** A rig's open escalations go in and out of memory with it (only its owner acts on them). */
    private readonly escalations: EscalationBook,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Loads every stored rig of `state` and reconciles it with git (the engine opening). */
  async open(state: TownState): Promise<void> {
    // Records first, in the store's order (dispatch and resumption follow it), then the rigs.
    this.records.load({ polecats: state.polecats.map(withHealth), beads: state.beads, convoys: state.convoys });
    const attached = state.rigs.map((rig) =>
      this.build(
        normalised(rig),
        state.mergeRequests.filter((mr) => mr.rig === rig.name),
      ),
    );
    await this.recovery.clearStaleLocks(attached.map((rt) => rt.rig.repoPath));
    await this.recovery.reconcile(attached);
    const stats = new Map(attached.map((rt) => [rt.rig.name, rt.refinery.stats]));
    await seedStatsFromHistory(this.ctx.persistence.store, stats, this.ctx.clock.now());
  }

  /**
   * A new rig: built, and started if the town runs (`start: false` for a split's
   * partitions, which start once the work has moved).
   */
  attachNew(rig: Rig, start = true): RigRuntime {
    const rt = this.build(rig, []);
    if (start && this.running) {
      rt.witness.start();
      rt.refinery.kick();
    }
    return rt;
  }

  /** Loads a stored rig's records, reconciles them with git and starts its roles. */
  async attach(name: string): Promise<RigAttachment> {
    if (this.records.rigs.has(name)) throw conflict(`rig '${name}' is already attached`);
    this.begin(name);
    try {
      const state = await this.ctx.persistence.store.loadTown();
      const rig = state.rigs.find((r) => r.name === name);
      if (!rig) throw notFound('rig', name);
      const rt = this.install(rig, state);
      try {
        // Claimed from another node, perhaps on another machine: its clone and worktrees are made here.
        const moved = (await this.rebuild?.rehome(rt)) ?? false;
        await this.recovery.reconcile([rt]);
        if (moved) await this.rebuild?.returnLostWork(rt);
      } catch (error) {
        this.release(name); // not attached: nothing of it stays in memory
        throw error;
      }
      await seedStatsFromHistory(this.ctx.persistence.store, new Map([[name, rt.refinery.stats]]), this.ctx.clock.now());
      if (this.running) this.start(rt);
      const attached = this.counts(rt);
      this.ctx.emit({ type: 'rig.attached', at: this.ctx.clock.now(), ...attached });
      return attached;
    } finally {
      this.changing.delete(name);
    }
  }

  /** Drains a rig and releases its records from memory; the store keeps them consistent. */
  async detach(name: string): Promise<RigAttachment> {
    const rt = this.records.rig(name);
    this.begin(name);
    try {
      rt.detaching = true; // from here the Mayor, the Deacon and the agents leave it alone
      rt.witness.stop();
      this.sessions.cancelRig(name);
      await rt.refinery.drain(); // a landing in hand finishes; held requests go back to the queue
      const detached = this.counts(rt);
      await this.ctx.persistence.write(async () => {}); // its writes land before it leaves memory
      this.release(name);
      this.ctx.emit({ type: 'rig.detached', at: this.ctx.clock.now(), ...detached });
      return detached;
    } finally {
      this.changing.delete(name);
    }
  }

  /** Starts every attached rig's roles: agents resume, Refineries look at their queues, Witnesses patrol. */
  startAll(): void {
    this.running = true;
    this.sessions.running = true;
    // Polecats in the order they were loaded, town-wide, as before rigs were units.
    for (const p of this.records.polecats.values()) this.sessions.resume(p);
    for (const rt of this.records.rigs.values()) rt.refinery.kick();
    for (const rt of this.records.rigs.values()) rt.witness.start();
  }

  /** Stops every rig's roles: patrols, Refineries (a landing in hand finishes), agents. */
  stopAll(): void {
    this.running = false;
    this.sessions.running = false;
    for (const rt of this.records.rigs.values()) rt.witness.stop();
    for (const rt of this.records.rigs.values()) rt.refinery.stop();
    this.sessions.cancelAll();
  }

  // ---------------------------------------------------------------- helpers

  private begin(name: string): void {
    if (this.changing.has(name)) throw conflict(`rig '${name}' is being attached or detached`);
    this.changing.add(name);
  }

  /** Takes a rig's records out of memory: its polecats, beads, convoys and open escalations. */
  private release(name: string): void {
    this.records.release(name);
    this.escalations.release(name);
  }

  private start(rt: RigRuntime): void {
    for (const p of this.records.polecatsOf(rt.rig.name)) this.sessions.resume(p);
    rt.refinery.kick();
    rt.witness.start();
  }

  /** Puts one stored rig's records in memory, with its roles (nothing starts yet). */
  private install(stored: Rig, state: TownState): RigRuntime {
    const rig = normalised(stored);
    const beads = state.beads.filter((b) => b.rig === rig.name);
    const ids = new Set(beads.map((b) => b.id));
    this.records.load({
      polecats: state.polecats.filter((p) => p.rig === rig.name).map(withHealth),
      beads,
      convoys: state.convoys.filter((c) => c.beadIds.some((id) => ids.has(id))),
    });
    this.escalations.load(state.escalations.filter((e) => e.rig === rig.name));
    return this.build(
      rig,
      state.mergeRequests.filter((mr) => mr.rig === rig.name),
    );
  }

  private build(rig: Rig, mrs: MergeRequest[]): RigRuntime {
    const queue = new MergeQueue(this.ctx, rig.name, mrs);
    const verdicts = this.verdicts;
    const rt: RigRuntime = {
      rig,
      queue,
      refinery: new Refinery(
        this.ctx,
        rig,
        queue,
        this.checks,
        this.upstream,
        new RefineryStats(Math.min(rig.createdAt, this.ctx.clock.now())),
        {
          landed: (mr) => verdicts.landed(rt, mr),
          conflicted: (mr) => verdicts.conflicted(rt, mr),
          rejected: (mr, check, output) => verdicts.rejected(rt, mr, check, output),
        },
      ),
      witness: this.supervision.witnessFor(rig),
      detaching: false,
    };
    this.records.addRig(rt);
    return rt;
  }

  private counts(rt: RigRuntime): RigAttachment {
    const name = rt.rig.name;
    return {
      rig: name,
      polecats: this.records.polecatsOf(name).length,
      beads: [...this.records.beads.values()].filter((b) => b.rig === name).length,
      mergeRequests: rt.queue.all().length,
    };
  }
}
