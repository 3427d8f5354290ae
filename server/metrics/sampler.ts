/**
 * The metric registry's driver: every `intervalMs` of ENGINE time it reads the town
 * through its public face (queue depths, Refinery stats, the Deacon's status, polecats,
 * the limiter, costs), and hands one
 * `MetricSnapshot` to its listeners: the series recorder, the alert rules, /metrics.
 * Because it runs on the engine's Clock, alert `for` durations and series timestamps are
 * engine time: a virtual-clock test steps them exactly, a demo at GT_TIME_SCALE=60 lives
 * an hour a minute.
 *
 * The driver (timer) is apart from the step (`sample()`), as in Prometheus's Group.run and
 * Group.Eval: tests call `sample()` directly.
 */
import type { Clock, Repeating } from '../engine/clock';
import type { Town } from '../engine/town';
import {
  GATE_LATENCY_WINDOW_MS,
  RIG_METRICS,
  THROTTLED_RATIO_MIN_POLECATS,
  UNRESPONSIVE_AFTER_MS,
  type MetricName,
  type MetricSnapshot,
  type MetricValues,
} from '../../contracts/metrics';

/** The 10 s points of the issue: the resolution alert rules are evaluated at. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 10_000;

/** How a rig metric is summed up for the town. */
export const TOWN_AGGREGATE: Partial<Record<MetricName, 'max'>> = { polecat_max_silence: 'max', witness_interval: 'max' };

export type SnapshotListener = (snapshot: MetricSnapshot) => void;

export interface SamplerOptions {
  town: Town;
  /** Default: the town's clock. */
  clock?: Clock;
  /** Engine ms between samples. */
  intervalMs?: number;
  /** A throwing listener is reported here and does not stop the others (nor the sampling). */
  onError?: (err: unknown) => void;
}

const seconds = (ms: number | null | undefined) => (ms == null ? null : ms / 1000);

export class MetricsSampler {
  private timer: Repeating | null = null;
  private readonly listeners = new Set<SnapshotListener>();
  private last: MetricSnapshot | null = null;
  private readonly town: Town;
  private readonly clock: Clock;
  readonly intervalMs: number;
  private readonly onError: (err: unknown) => void;

  constructor(options: SamplerOptions) {
    this.town = options.town;
    this.clock = options.clock ?? options.town.clock;
    this.intervalMs = options.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
    this.onError = options.onError ?? ((err) => console.error('[gastown] metrics listener failed', err));
  }

  /** Samples on the clock. */
  start(): void {
    if (this.timer) return;
    this.timer = this.clock.every(this.intervalMs, () => this.sample());
    this.sample();
  }

  stop(): void {
    this.timer?.stop();
    this.timer = null;
  }

  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The most recent snapshot (null before the first). */
  latest(): MetricSnapshot | null {
    return this.last;
  }

  /** Takes one snapshot now, hands it to the listeners and returns it. */
  sample(): MetricSnapshot {
    const snapshot = this.read();
    this.last = snapshot;
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (err) {
        this.onError(err);
      }
    }
    return snapshot;
  }

  private read(): MetricSnapshot {
    const { town } = this;
    const now = this.clock.now();
    const rigs: Record<string, MetricValues> = {};
    for (const rig of town.rigs.list()) {
      // A rig retired by a split or merge since the last sample gets one more, its true
      // values (its queue moved: 0), so its chart line ends there instead of at the last
      // depth it had; after that it has no series.
      const retiredAt = rig.lineage?.at ?? null;
      const justRetired = this.last !== null && retiredAt !== null && retiredAt >= this.last.at;
      if (rig.status === 'retired' && !justRetired) continue;
      rigs[rig.name] = this.readRig(rig.name, now);
    }

    const values: MetricValues = {};
    for (const metric of RIG_METRICS) {
      const all = Object.values(rigs)
        .map((r) => r[metric])
        .filter((v): v is number => typeof v === 'number');
      values[metric] =
        all.length === 0 ? null : TOWN_AGGREGATE[metric] === 'max' ? Math.max(...all) : all.reduce((a, b) => a + b, 0);
    }
    for (const metric of ['queue_depth', 'workers_busy', 'workers', 'polecats', 'polecats_working'] as const) {
      values[metric] ??= 0;
    }
    const combined = town.rigs.refineryStats().conflictRate;
    values.conflict_rate = combined.rate;
    // One definition with the tiles and the CLI: the Refinery window's landings per hour.
    values.throughput = town.rigs.refineryStats().mergesPerHour;
    values.conflict_sample = combined.sample;

    const deacon = town.supervision.deaconStatus();
    values.patrol_duration = seconds(deacon.lastPatrolDurationMs);
    values.gate_latency = seconds(this.gateLatencyMs(now));
    const polecats = values.polecats ?? 0;
    values.throttled_ratio =
      polecats >= THROTTLED_RATIO_MIN_POLECATS ? (values.polecats_throttled ?? 0) / Math.max(1, polecats) : null;

    const spend = town.costs.todaySpend();
    values.tokens_today = spend.tokens;
    values.cost_today = spend.costUsd;
    const budget = town.settings.budgetAlertUsd ?? town.settings.dailyBudgetUsd;
    values.budget_ratio = budget !== null && budget > 0 ? spend.costUsd / budget : null;

    return { at: now, town: values, rigs };
  }

  private readRig(name: string, now: number): MetricValues {
    const { town } = this;
    const rig = town.rigs.get(name)!;
    const stats = town.rigs.refineryStats(name);
    const polecats = town.polecats.list(name);
    let working = 0;
    let unhealthy = 0;
    let unresponsive = 0;
    let throttled = 0;
    let maxSilence: number | null = null;
    for (const p of polecats) {
      if (p.health !== 'ok') unhealthy++;
      if (p.state === 'throttled') throttled++;
      if (p.state === 'idle') continue;
      working++;
      // Only a polecat whose agent is running owes heartbeats (as the Witness sees it): a
      // submitted one waits on the Refinery, a throttled one on the API provider.
      if (p.state !== 'working' && p.state !== 'reworking' && p.state !== 'stalled') continue;
      // Silent since its last heartbeat, but never since before it entered this state: a
      // heartbeat from its previous bead (before a long wait in the merge queue) is not a silence.
      const silence = now - Math.max(p.lastHeartbeatAt ?? 0, p.stateSince);
      maxSilence = Math.max(maxSilence ?? 0, silence);
      if (silence > UNRESPONSIVE_AFTER_MS) unresponsive++;
    }
    return {
      queue_depth: town.rigs.queueDepth(name),
      workers_busy: town.rigs.busyWorkers(name),
      workers: rig.settings.refineryWorkers,
      conflict_rate: stats.conflictRate.rate,
      conflict_sample: stats.conflictRate.sample,
      throughput: stats.mergesPerHour,
      polecats: polecats.length,
      polecats_working: working,
      polecats_unhealthy: unhealthy,
      polecats_unresponsive: unresponsive,
      polecat_max_silence: seconds(maxSilence),
      polecats_throttled: throttled,
      witness_interval: seconds(town.supervision.witnessStatus(name).intervalMs),
    };
  }

  /**
   * The longest a gate waited between "could open" and "opened": gates opened in the last
   * few minutes, and gates whose condition holds but which are still waiting (a stuck
   * Deacon shows here at once, not only after the gate finally opens).
   */
  private gateLatencyMs(now: number): number | null {
    const opened = this.town.gates.recentLatencies(now - GATE_LATENCY_WINDOW_MS);
    let worst: number | null = opened.length > 0 ? Math.max(...opened) : null;
    for (const gate of this.town.gates.list()) {
      const ready = this.town.gates.readyAt(gate);
      if (ready !== null) worst = Math.max(worst ?? 0, now - ready);
    }
    return worst;
  }
}
