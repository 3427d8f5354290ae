/**
 * What a what-if measures, read from the engine's own event bus and public face (never
 * from the model's parameters): merge outcomes and the conflict rate, merge-queue depth
 * over time, Deacon cycle times and how long hot rigs wait between patrols, stalls,
 * tokens, and when a convoy landed. The series is sampled on the engine clock and
 * bounded, so a 24-hour run of a thousand polecats returns a chart-sized answer.
 */
import type { DomainEvent } from '../../contracts/events';
import type { Town } from '../engine/town';
import { percentile } from '../engine/stats';
import type { VirtualClock } from '../engine/clock';
import type { LabFigures, LabSample, Stat } from '../../contracts/lab';

/** At most this many samples per run, whatever its length. */
const MAX_SAMPLES = 120;
const MIN_SAMPLE_MS = 60_000;

function stat(values: number[]): Stat {
  if (values.length === 0) return { mean: null, max: null, sample: 0 };
  let sum = 0;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v > max) max = v;
  }
  return { mean: sum / values.length, max, sample: values.length };
}

export class RunRecorder {
  private readonly startedAt: number;
  private merged = 0;
  private conflicts = 0;
  private rejected = 0;
  private escalated = 0;
  private stalls = 0;
  private throttled = 0;
  private tokens = 0;
  private readonly queueMs: number[] = [];
  private readonly cycles = new Map<string, number[]>();
  private readonly lastPatrol = new Map<string, number>();
  private readonly hotGaps: number[] = [];
  private readonly depths: number[] = [];
  private readonly samples: LabSample[] = [];
  private convoyLandedAt: number | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly town: Town,
    private readonly clock: VirtualClock,
    private readonly sampleEveryMs: number,
  ) {
    this.startedAt = clock.now();
    this.unsubscribe = town.bus.subscribe((e) => this.observe(e));
    this.schedule();
  }

  private observe(e: DomainEvent): void {
    switch (e.type) {
      case 'mr.merged':
        this.merged++;
        this.queueMs.push(e.queueMs);
        break;
      case 'mr.conflicted':
        this.conflicts++;
        break;
      case 'mr.rejected':
        this.rejected++;
        break;
      case 'mr.escalated':
        this.escalated++;
        break;
      case 'witness.detected':
        this.stalls++;
        break;
      case 'agent.usage':
        this.tokens += e.inputTokens + e.outputTokens;
        break;
      case 'polecat.state_changed':
        if (e.to === 'throttled') this.throttled++;
        break;
      case 'deacon.cycle': {
        const list = this.cycles.get(e.tier) ?? [];
        list.push(e.durationMs);
        this.cycles.set(e.tier, list);
        break;
      }
      case 'deacon.patrolled': {
        const last = this.lastPatrol.get(e.rig);
        if (e.tier === 'hot' && last !== undefined) this.hotGaps.push(e.at - last);
        this.lastPatrol.set(e.rig, e.at);
        break;
      }
      case 'convoy.landed':
        this.convoyLandedAt = e.at;
        break;
    }
  }

  private schedule(): void {
    const sampling = this.clock.every(this.sampleEveryMs, () => {
      this.sample();
      if (this.samples.length >= MAX_SAMPLES) sampling.stop();
    });
  }

  private sample(): void {
    let total = 0;
    let deepest = 0;
    for (const rig of this.town.rigs.list()) {
      const d = this.town.rigs.queueDepth(rig.name);
      total += d;
      deepest = Math.max(deepest, d);
    }
    this.depths.push(deepest);
    const attempts = this.merged + this.conflicts + this.rejected;
    this.samples.push({
      hours: (this.clock.now() - this.startedAt) / 3_600_000,
      queueDepth: total,
      maxRigQueue: deepest,
      merged: this.merged,
      conflictRate: attempts > 0 ? this.conflicts / attempts : null,
      working: this.town.polecats.list().filter((p) => p.state !== 'idle').length,
    });
  }

  series(): LabSample[] {
    return this.samples;
  }

  /** Figures at the end of the run. */
  finish(convoyId: string | null): LabFigures {
    this.unsubscribe();
    const hours = Math.max(1e-9, (this.clock.now() - this.startedAt) / 3_600_000);
    const attempts = this.merged + this.conflicts + this.rejected;
    const mode = this.town.settings.deaconMode;
    const endDepth = Math.max(0, ...this.town.rigs.list().map((r) => this.town.rigs.queueDepth(r.name)));
    const p50 = percentile(this.queueMs, 50);
    return {
      attempts,
      merged: this.merged,
      conflicts: this.conflicts,
      rejected: this.rejected,
      escalated: this.escalated,
      conflictRate: attempts > 0 ? this.conflicts / attempts : null,
      checkFailureRate: attempts > 0 ? this.rejected / attempts : null,
      mergesPerHour: this.merged / hours,
      timeInQueueMinutesP50: p50 === null ? null : p50 / 60_000,
      queueDepth: { ...stat(this.depths), end: endDepth },
      patrolCycleMs: stat(this.cycles.get(mode === 'sequential' ? 'all' : 'hot') ?? []),
      hotPatrolGapMs: { ...stat(this.hotGaps), p95: percentile(this.hotGaps, 95) },
      stalls: this.stalls,
      throttled: this.throttled,
      tokens: this.tokens,
      convoyLandedMs: convoyId && this.convoyLandedAt !== null ? this.convoyLandedAt - this.startedAt : null,
    };
  }
}

/** Sample cadence for a run of `hours`: at most MAX_SAMPLES points. */
export function sampleEvery(hours: number): number {
  return Math.max(MIN_SAMPLE_MS, Math.ceil((hours * 3_600_000) / MAX_SAMPLES / 60_000) * 60_000);
}
