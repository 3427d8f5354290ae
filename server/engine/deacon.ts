/**
 * The Deacon: the town-level supervisor. It patrols every rig: evaluates the rig's gates
 * (the backstop to their event-driven fast path), checks the health of its Refinery and
 * Witness, and returns stale claims to the pool. Patrolling a rig takes time (the
 * Deacon's patrol agent reads the rig's state: `rigPatrolMs` of engine time each), which
 * is why one Deacon walking every rig in turn gets slow as rigs are added: the seed's
 * ~30 s at 3 rigs, ~2 min at 10, ~5 min at 20.
 *
 * Modes:
 *   sequential  one loop over every rig (the seed's baseline, kept to show the difference)
 *   tiered      three loops, each on its own cadence: hot rigs (working polecats) every
 *               30 s, warm (active, idle) every 2 min, cold (parked: health check only)
 *               every 10 min, so active work gets fast gate evaluation whatever the
 *               number of idle rigs
 *
 * Driven entirely by clock timers (no awaits), so it runs the same on virtual time.
 */
import type { EngineContext } from './context';
import type { TimerHandle } from './clock';
import type { PatrolTier, Rig, TownSettings } from '../../contracts/records';
import type { DeaconStatus, PatrolLoop as Loop } from '../../contracts/town';
import { percentile } from './stats';

export const PATROL_TIERS: readonly PatrolTier[] = ['hot', 'warm', 'cold'];

export interface DeaconHost {
  settings(): TownSettings;
  rigs(): Rig[];
  tierOf(rig: Rig): PatrolTier;
  /** The rig's patrol work proper; returns what it found and how many gates it opened. */
  patrolRig(rig: Rig, tier: PatrolTier): { findings: string[]; gatesOpened: number };
  /** Town-wide chores at the end of a cycle (re-escalation). */
  endOfCycle(): void;
  /** Gate opening latencies since a time, for the gate-evaluation metric. */
  gateLatencies(since: number): number[];
}

interface LoopState {
  timer: TimerHandle | null;
  cycleStartedAt: number | null;
  lastCycleMs: number | null;
  lastCycleAt: number | null;
  rigs: number;
}

const GATE_LATENCY_WINDOW_MS = 3_600_000;

export class Deacon {
  private readonly loops = new Map<Loop, LoopState>();
  private running = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly host: DeaconHost,
  ) {}

  start(): void {
    this.running = true;
    const mode = this.host.settings().deaconMode;
    const loops: Loop[] = mode === 'sequential' ? ['all'] : [...PATROL_TIERS];
    for (const loop of loops) this.startCycle(loop);
  }

  stop(): void {
    this.running = false;
    for (const state of this.loops.values()) if (state.timer) this.ctx.clock.clearTimer(state.timer);
    this.loops.clear();
  }

  /** Applies a changed mode or cadence: loops restart with the new settings. */
  restart(): void {
    this.stop();
    this.start();
  }

  status(): DeaconStatus {
    const settings = this.host.settings();
    const loops = {} as DeaconStatus['loops'];
    let longest: number | null = null;
    for (const loop of ['all', ...PATROL_TIERS] as Loop[]) {
      const s = this.loops.get(loop);
      loops[loop] = {
        lastCycleMs: s?.lastCycleMs ?? null,
        lastCycleAt: s?.lastCycleAt ?? null,
        // The rigs in the loop now (as the patrol diagram draws them), not at its last cycle's start.
        rigs: s ? this.rigsFor(loop).length : 0,
        intervalMs: s ? this.intervalOf(loop, settings) : null,
      };
      if (s?.lastCycleMs != null) longest = Math.max(longest ?? 0, s.lastCycleMs);
    }
    const latencies = this.host.gateLatencies(this.ctx.clock.now() - GATE_LATENCY_WINDOW_MS);
    return {
      mode: settings.deaconMode,
      lastPatrolDurationMs: longest,
      loops,
      gateLatency: {
        lastMs: latencies.at(-1) ?? null,
        p95Ms: percentile(latencies, 95),
        maxMs: latencies.length ? Math.max(...latencies) : null,
        sample: latencies.length,
        windowMs: GATE_LATENCY_WINDOW_MS,
      },
    };
  }

  private intervalOf(loop: Loop, settings: TownSettings): number {
    return settings.tierIntervalsMs[loop === 'all' ? 'hot' : loop];
  }

  private rigsFor(loop: Loop): Rig[] {
    const rigs = this.host.rigs().filter((r) => r.status !== 'retired');
    return loop === 'all' ? rigs : rigs.filter((r) => this.host.tierOf(r) === loop);
  }

  private startCycle(loop: Loop): void {
    if (!this.running) return;
    const state: LoopState = this.loops.get(loop) ?? {
      timer: null,
      cycleStartedAt: null,
      lastCycleMs: null,
      lastCycleAt: null,
      rigs: 0,
    };
    this.loops.set(loop, state);
    const rigs = this.rigsFor(loop);
    state.cycleStartedAt = this.ctx.clock.now();
    state.rigs = rigs.length;
    this.patrolNext(loop, state, rigs, 0);
  }

  private patrolNext(loop: Loop, state: LoopState, rigs: Rig[], index: number): void {
    if (!this.running) return;
    const settings = this.host.settings();
    if (index >= rigs.length) {
      this.finishCycle(loop, state, settings);
      return;
    }
    const rig = rigs[index];
    const tier = loop === 'all' ? this.host.tierOf(rig) : loop;
    // Sequential mode gives every rig the full patrol, as a single Deacon walking them would.
    const cost = loop === 'cold' ? settings.coldPatrolMs : settings.rigPatrolMs;
    const startedAt = this.ctx.clock.now();
    state.timer = this.ctx.clock.setTimer(cost, () => {
      state.timer = null;
      if (!this.running) return;
      const result = rig.status === 'retired' ? { findings: [], gatesOpened: 0 } : this.host.patrolRig(rig, tier);
      this.ctx.emit({
        type: 'deacon.patrolled',
        at: this.ctx.clock.now(),
        rig: rig.name,
        tier,
        durationMs: this.ctx.clock.now() - startedAt,
        gatesOpened: result.gatesOpened,
        findings: result.findings,
      });
      this.patrolNext(loop, state, rigs, index + 1);
    });
  }

  private finishCycle(loop: Loop, state: LoopState, settings: TownSettings): void {
    const now = this.ctx.clock.now();
    const started = state.cycleStartedAt ?? now;
    state.lastCycleMs = now - started;
    state.lastCycleAt = now;
    this.ctx.emit({ type: 'deacon.cycle', at: now, tier: loop, rigs: state.rigs, durationMs: state.lastCycleMs });
    if (loop === 'all' || loop === 'hot') this.host.endOfCycle();
    // Next cycle one interval after this one started, or at once when it overran.
    const wait = Math.max(0, started + this.intervalOf(loop, settings) - now);
    state.timer = this.ctx.clock.setTimer(wait, () => {
      state.timer = null;
      this.startCycle(loop);
    });
  }
}
