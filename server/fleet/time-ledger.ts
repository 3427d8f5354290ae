/**
 * Where the fleet's time goes, measured rather than assumed: the seed draws it as a pie
 * (API calls 45%, git operations 25%, CI validation 20%, coordination overhead 10%).
 * Fed by engine events and the timed GitPort, in real milliseconds of work done:
 *
 * - agents: time polecats spent in agent sessions (working, reworking, throttled on the
 *   API), engine time turned into real time by the clock's scale;
 * - git: every git call of the town (merges, commits, worktrees), timed where it runs;
 * - checks: validation check runs (the Refinery's CI), as the check runner timed them;
 * - coordination: the Mayor's dispatch decisions and the Deacon's patrols.
 *
 * Work done in parallel adds up (ten agents for a minute are ten minutes of agent time),
 * which is what "where the fleet's time goes" means.
 */
import type { Clock } from '../engine/clock';
import type { DomainEvent } from '../../contracts/events';
import type { EventBus } from '../engine/events';
import type { PolecatState } from '../../contracts/records';
import type { TimeCategory, TimeShareView } from '../../contracts/town';

export const SEED_TIME_SHARE: Record<TimeCategory, number> = { agents: 0.45, git: 0.25, checks: 0.2, coordination: 0.1 };

export const TIME_CATEGORY_LABEL: Record<TimeCategory, string> = {
  agents: 'Agent sessions (API calls)',
  git: 'Git operations',
  checks: 'Validation checks (CI)',
  coordination: 'Coordination (Mayor, Deacon)',
};

const AGENT_STATES: ReadonlySet<PolecatState> = new Set(['working', 'reworking', 'throttled']);

export class TimeLedger {
  private readonly ms: Record<TimeCategory, number> = { agents: 0, git: 0, checks: 0, coordination: 0 };
  /** When each polecat entered its current agent state (engine ms). */
  private readonly inSession = new Map<string, number>();
  private readonly since: number;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly clock: Clock) {
    this.since = clock.now();
  }

  /** Engine ms to real ms (a virtual clock has no real time: counted 1:1). */
  private real(engineMs: number): number {
    return Number.isFinite(this.clock.scale) && this.clock.scale > 0 ? engineMs / this.clock.scale : engineMs;
  }

  attach(bus: EventBus): void {
    this.unsubscribe = bus.subscribe((event) => this.fold(event));
  }

  detach(): void {
    this.unsubscribe?.();
  }

  /** The timed GitPort reports each call here. */
  gitCall(realMs: number): void {
    this.ms.git += realMs;
  }

  fold(event: DomainEvent): void {
    switch (event.type) {
      case 'polecat.state_changed': {
        const started = this.inSession.get(event.polecat);
        if (started !== undefined) this.ms.agents += this.real(event.at - started);
        if (AGENT_STATES.has(event.to)) this.inSession.set(event.polecat, event.at);
        else this.inSession.delete(event.polecat);
        break;
      }
      case 'refinery.validated':
        this.ms.checks += event.durationMs;
        break;
      case 'mayor.dispatched':
        this.ms.coordination += event.decisionMs;
        break;
      case 'deacon.patrolled':
        this.ms.coordination += this.real(event.durationMs);
        break;
    }
  }

  view(now = this.clock.now()): TimeShareView {
    const ms = { ...this.ms };
    // Sessions still running count up to now.
    for (const started of this.inSession.values()) ms.agents += this.real(now - started);
    const total = Object.values(ms).reduce((a, b) => a + b, 0);
    return {
      since: this.since,
      categories: (Object.keys(ms) as TimeCategory[]).map((key) => ({
        key,
        label: TIME_CATEGORY_LABEL[key],
        ms: Math.round(ms[key]),
        share: total > 0 ? ms[key] / total : null,
        seedShare: SEED_TIME_SHARE[key],
      })),
    };
  }
}
