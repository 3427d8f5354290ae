/**
 * The Town: the engine's public face for commands, queries and the monitoring beside it.
 * It is a handful of nouns, each owning its changes through the records (records.ts):
 * `rigs` (and their attach/detach seam), `polecats`, `beads`, `convoys`, `gates`,
 * `escalations`, `supervision` (the Witnesses, the Deacon, the operator's levers on
 * them), `mayor` (dispatch and its cost), `costs` and `limiter`; and the life cycle.
 * The engine is assembled, loaded and reconciled by `createEngine` (assembly.ts).
 *
 * Life cycle: `start` resumes work (agents, Refineries, patrols, dispatch); `stop` lets
 * the merge in hand finish, parks the agents (their worktrees are kept) and drains writes.
 */
import type { Clock } from './clock';
import type { EngineContext } from './context';
import type { EngineError, FencedError } from './errors';
import type { StoreFailure } from './persistence';
import type { Convoys } from './convoys';
import type { CostMeter } from './costs';
import type { EscalationBook } from './escalations';
import type { EventBus } from './events';
import type { GateBook } from './gate';
import type { ProviderLimiter } from './limiter';
import type { Mayor } from './mayor';
import type { TownSettings } from '../../contracts/records';
import type { Beads } from './beads';
import type { Polecats } from './polecats';
import type { AuditRecord } from '../../contracts/activity';
import type { TownRecords } from './records';
import type { RigRuntimes } from './rig-runtimes';
import type { Rigs } from './rigs';
import type { TownSettingsBook } from './settings';
import type { Supervision } from './supervision';

/** Where operator actions are recorded: the audit log, in order with the engine's writes. */
export interface AuditPort {
  append(record: AuditRecord): void;
}

/** The parts the assembly built, in the order it built them. */
export interface TownParts {
  ctx: EngineContext;
  records: TownRecords;
  settings: TownSettingsBook;
  limiter: ProviderLimiter;
  costs: CostMeter;
  escalations: EscalationBook;
  gates: GateBook;
  beads: Beads;
  convoys: Convoys;
  polecats: Polecats;
  supervision: Supervision;
  mayor: Mayor;
  runtimes: RigRuntimes;
  rigs: Rigs;
  /** Whether the store held a town when the engine opened (a restart, not a first start). */
  resumed: boolean;
}

export class Town {
  readonly rigs: Rigs;
  readonly polecats: Polecats;
  readonly beads: Beads;
  readonly convoys: Convoys;
  readonly gates: GateBook;
  readonly escalations: EscalationBook;
  readonly supervision: Supervision;
  readonly mayor: Mayor;
  readonly costs: CostMeter;
  readonly limiter: ProviderLimiter;
  /** The audit log (commands record every operator action through it). */
  readonly audit: AuditPort;
  private readonly ctx: EngineContext;
  private readonly records: TownRecords;
  private readonly settingsBook: TownSettingsBook;
  private readonly runtimes: RigRuntimes;
  private readonly resumed: boolean;
  private running = false;

  constructor(parts: TownParts) {
    ({
      ctx: this.ctx,
      records: this.records,
      settings: this.settingsBook,
      runtimes: this.runtimes,
      resumed: this.resumed,
      rigs: this.rigs,
      polecats: this.polecats,
      beads: this.beads,
      convoys: this.convoys,
      gates: this.gates,
      escalations: this.escalations,
      supervision: this.supervision,
      mayor: this.mayor,
      costs: this.costs,
      limiter: this.limiter,
    } = parts);
    const { ctx } = parts;
    // Fail-stop (see persistence.ts): the town stops as a graceful stop would, and the
    // CommandBus refuses commands until a restart reloads it from the database.
    ctx.persistence.onFailure((failure) => {
      ctx.log.error('the town stopped: a store write failed; restart to reload from the database', { ...failure });
      queueMicrotask(() => void this.stop());
    });
    this.audit = {
      append: (record) => {
        void ctx.persistence.write((s) => s.appendAudit(record), 'history');
        ctx.emit({ type: 'operator.action', at: record.at, actor: record.actor, action: record.action, ok: record.ok });
      },
    };
  }

  get bus(): EventBus {
    return this.ctx.bus;
  }

  get clock(): Clock {
    return this.ctx.clock;
  }

  /** Town-wide settings: the Deacon's mode and cadences, the gate fast path, limits, budget. */
  get settings(): TownSettings {
    return this.settingsBook.current;
  }

  updateSettings(patch: Partial<TownSettings>, by: string): TownSettings {
    return this.settingsBook.update(patch, by);
  }

  /** Store writes that failed since the engine opened (the health check reports them). */
  get failedWrites(): number {
    return this.ctx.persistence.failedWrites;
  }

  /** Writes a lease fence refused (cluster mode: the rig had moved to another node). */
  get fencedWrites(): number {
    return this.ctx.persistence.fencedWrites;
  }

  /** Calls `listener` on every write refused by a lease fence (the node's Ownership detaches the rig). */
  onFenced(listener: (error: FencedError) => void): void {
    this.ctx.persistence.onFenced(listener);
  }

  /** The first state write the store refused, once there was one: the town has stopped (fail-stop). */
  get stopped(): StoreFailure | null {
    return this.ctx.persistence.failure;
  }

  /** The 503 a stopped town answers with: what failed, and that a restart reloads it. */
  refusal(): EngineError {
    return this.ctx.persistence.refusal();
  }

  /** Resolves when every state write queued so far has been attempted. */
  written(): Promise<void> {
    return this.ctx.persistence.written();
  }

  // ---------------------------------------------------------------- life cycle

  /** Resumes agents, Refineries, patrols and dispatch. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.runtimes.startAll();
    this.supervision.start();
    this.mayor.start();
    this.ctx.emit({
      type: 'town.started',
      at: this.clock.now(),
      rigs: this.records.rigs.size,
      polecats: this.records.polecats.size,
      resumed: this.resumed,
    });
  }

  /**
   * Graceful stop: no new work is taken, patrols stop, the landing in hand finishes (so
   * the target never holds half a prefix), agents are cancelled with their worktrees
   * kept, and every write is flushed. The store stays open; its owner closes it.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.mayor.stop();
    this.supervision.stop();
    this.runtimes.stopAll();
    await this.ctx.settle();
  }

  /** Waits until all in-flight work and writes are done (tests, simulations). */
  settle(): Promise<void> {
    return this.ctx.settle();
  }
}
