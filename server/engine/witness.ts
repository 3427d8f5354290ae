/**
 * The Witness: a rig's supervisor. It patrols the rig's polecats on an interval and
 * answers trouble with a ladder, restart-first:
 *
 *   detection (per polecat that should be running an agent)
 *     zombie        the agent's process is gone
 *     unresponsive  no heartbeat for heartbeatTimeoutMs
 *     stalled       heartbeats, but no progress (edits, commits) for progressTimeoutMs
 *   ladder (strikes = consecutive patrols that found it unhealthy without progress since)
 *     1: nudge (zombie: restart at once)   2: restart, keeping the worktree   3+: escalate
 *
 * A patrol is an idempotent sweep: it marks and acts on what is stale now, and a polecat
 * that made progress since its last strike is cleared, and a flag clears as soon as its
 * condition does (heartbeats came back, or the polecat left the states that run an agent).
 * A rig that is split or merged hands its patrol clock on (`start(dueAt)`), so a partition
 * patrols when its parent would have, not a whole interval later. The interval is 5 minutes by
 * default; past 15 polecats on the rig it shortens in proportion (a Witness with 30
 * polecats patrols every 2.5 minutes), unless the operator pinned it.
 */
import type { EngineContext } from './context';
import type { Polecat, PolecatHealth, Rig } from '../../contracts/records';
import type { AgentHandle } from './ports';
import type { TimerHandle } from './clock';

export const DEFAULT_WITNESS_INTERVAL_MS = 5 * 60_000;
/** The seed: "as you scale past 15 polecats per rig, reduce the patrol interval proportionally". */
const POLECATS_PER_DEFAULT_INTERVAL = 15;
const MIN_INTERVAL_MS = 15_000;

export function witnessInterval(rig: Rig, polecats: number): number {
  if (rig.settings.witnessIntervalMs !== null) return rig.settings.witnessIntervalMs;
  if (polecats <= POLECATS_PER_DEFAULT_INTERVAL) return DEFAULT_WITNESS_INTERVAL_MS;
  return Math.max(MIN_INTERVAL_MS, Math.round((DEFAULT_WITNESS_INTERVAL_MS * POLECATS_PER_DEFAULT_INTERVAL) / polecats));
}

export interface WitnessHost {
  polecats(): Polecat[];
  agent(polecatId: string): AgentHandle | undefined;
  restart(polecat: Polecat, by: string): void;
  escalate(polecat: Polecat, kind: Exclude<PolecatHealth, 'ok'>, idleMs: number): void;
  setHealth(polecat: Polecat, health: PolecatHealth, strikes: number): void;
}

type Finding = { kind: Exclude<PolecatHealth, 'ok'>; idleMs: number };

export class Witness {
  private timer: TimerHandle | null = null;
  /** Engine time of the next patrol while scheduled. */
  dueAt: number | null = null;
  /** Last progress time each polecat had when it took its latest strike. */
  private readonly progressAtStrike = new Map<string, number>();
  lastPatrolAt: number | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly rig: Rig,
    private readonly host: WitnessHost,
  ) {}

  get intervalMs(): number {
    return witnessInterval(this.rig, this.host.polecats().length);
  }

  /** @param dueAt the first patrol's time, when taking over another Witness's polecats (split, merge). */
  start(dueAt?: number | null): void {
    this.schedule(dueAt ?? undefined);
  }

  stop(): void {
    if (this.timer) this.ctx.clock.clearTimer(this.timer);
    this.timer = null;
    this.dueAt = null;
  }

  /** Re-arms the timer (after the interval setting changed). */
  reschedule(): void {
    this.stop();
    this.schedule();
  }

  private schedule(dueAt?: number): void {
    const now = this.ctx.clock.now();
    const delay = dueAt === undefined ? this.intervalMs : Math.max(0, Math.min(this.intervalMs, dueAt - now));
    this.dueAt = now + delay;
    this.timer = this.ctx.clock.setTimer(delay, () => {
      this.timer = null;
      if (this.rig.status !== 'retired') this.patrol();
      this.schedule();
    });
  }

  /** One sweep over the rig's polecats. */
  patrol(): void {
    const now = this.ctx.clock.now();
    let checked = 0;
    let findings = 0;
    for (const p of this.host.polecats()) {
      if (p.state !== 'working' && p.state !== 'reworking') {
        // Stalled waits for a person with its flag; idle, submitted, throttled run no agent.
        if (p.state !== 'stalled') this.clear(p);
        continue;
      }
      checked++;
      const finding = this.inspect(p, now);
      if (!finding) {
        this.clearIfProgressed(p);
        continue;
      }
      findings++;
      this.act(p, finding, now);
    }
    this.lastPatrolAt = now;
    this.ctx.emit({ type: 'witness.patrolled', at: now, rig: this.rig.name, checked, findings, intervalMs: this.intervalMs });
  }

  private inspect(p: Polecat, now: number): Finding | null {
    const handle = this.host.agent(p.id);
    // Silence counts from the later of its last heartbeat and the start of its current
    // state: a heartbeat from its previous bead says nothing about this one.
    const lastBeat = Math.max(p.lastHeartbeatAt ?? 0, p.stateSince);
    // No session yet (preparing its worktree, waiting for a slot) is not a dead one: only
    // the heartbeat threshold judges it.
    if (handle && !handle.alive()) return { kind: 'zombie', idleMs: now - lastBeat };
    if (now - lastBeat > this.rig.settings.heartbeatTimeoutMs) return { kind: 'unresponsive', idleMs: now - lastBeat };
    const lastProgress = Math.max(p.lastProgressAt ?? 0, p.stateSince);
    if (now - lastProgress > this.rig.settings.progressTimeoutMs) return { kind: 'stalled', idleMs: now - lastProgress };
    return null;
  }

  /**
   * Nothing wrong now: the flag clears. Its strikes (the ladder's rung) clear only once it
   * made progress since its last one: a restarted polecat that is merely alive keeps its rung.
   */
  private clearIfProgressed(p: Polecat): void {
    if (p.strikes === 0 && p.health === 'ok') return;
    const atStrike = this.progressAtStrike.get(p.id) ?? 0;
    if ((p.lastProgressAt ?? 0) <= atStrike) {
      if (p.health !== 'ok') this.host.setHealth(p, 'ok', p.strikes);
      return;
    }
    this.clear(p);
  }

  /** The polecat is healthy again: flag and rung cleared. */
  clear(p: Polecat): void {
    if (p.strikes === 0 && p.health === 'ok') return;
    this.progressAtStrike.delete(p.id);
    this.host.setHealth(p, 'ok', 0);
    this.ctx.emit({ type: 'polecat.recovered', at: this.ctx.clock.now(), rig: p.rig, polecat: p.id });
  }

  private act(p: Polecat, finding: Finding, now: number): void {
    const strikes = p.strikes + 1;
    const action = strikes >= 3 ? 'escalate' : finding.kind === 'zombie' || strikes === 2 ? 'restart' : 'nudge';
    this.progressAtStrike.set(p.id, p.lastProgressAt ?? 0);
    this.host.setHealth(p, finding.kind, strikes);
    this.ctx.emit({
      type: 'witness.detected',
      at: now,
      rig: this.rig.name,
      polecat: p.id,
      kind: finding.kind,
      idleMs: finding.idleMs,
      action,
      strikes,
    });
    if (action === 'nudge') this.host.agent(p.id)?.nudge();
    else if (action === 'restart') this.host.restart(p, 'witness');
    else this.host.escalate(p, finding.kind, finding.idleMs);
  }
}
