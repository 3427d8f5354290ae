/**
 * Metric time series with downsampling and retention, so charts cover hours and days and
 * storage stays bounded however long the town runs:
 *
 *   tier   resolution                kept     rows per series
 *   raw    every sample (10 s)       24 h     8,640
 *   1m     average + max per minute  30 days  43,200
 *
 * Each sample is appended as raw rows (one per series: the town and every rig) and folded
 * into the current minute; when a sample of the next minute arrives, the finished minute
 * is written as a rollup. Pruning runs on the engine clock every 10 minutes. A range query
 * reads the finest tier that covers it and buckets the rows down to `maxPoints`.
 */
import type { Clock, Repeating } from '../engine/clock';
import { type Logger, silentLogger } from '../engine/context';
import {
  METRICS,
  TOWN_SERIES,
  type MetricDefinition,
  type MetricName,
  type MetricSnapshot,
  type MetricValues,
  type RangeQuery,
  type RangeResult,
} from '../../contracts/metrics';
import { MINUTE_RESOLUTION_MS, RAW_RESOLUTION_MS, type MetricsStore, type SeriesRow } from './series-store';
import { SerialQueue } from '../engine/serial-queue';

export const RAW_RETENTION_MS = 24 * 3_600_000;
export const MINUTE_RETENTION_MS = 30 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 10 * 60_000;
/** Ranges up to this long are answered from raw samples (6 h of 10 s points = 2,160 rows). */
const RAW_RANGE_LIMIT_MS = 6 * 3_600_000;
const DEFAULT_MAX_POINTS = 360;

export interface SeriesRecorderOptions {
  store: MetricsStore;
  clock: Clock;
  log?: Logger;
  rawRetentionMs?: number;
  minuteRetentionMs?: number;
}

interface Accumulator {
  sum: number;
  n: number;
  max: number | null;
}

export class SeriesRecorder {
  private readonly store: MetricsStore;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly writer: SerialQueue;
  readonly rawRetentionMs: number;
  readonly minuteRetentionMs: number;
  private minute: { start: number; series: Map<string, Map<string, Accumulator>> } | null = null;
  private pruning: Repeating | null = null;

  constructor(options: SeriesRecorderOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.log = options.log ?? silentLogger;
    this.rawRetentionMs = options.rawRetentionMs ?? RAW_RETENTION_MS;
    this.minuteRetentionMs = options.minuteRetentionMs ?? MINUTE_RETENTION_MS;
    this.writer = new SerialQueue((err) => this.log.error('metric series write failed', { error: String(err) }));
  }

  /** Prunes on a schedule (engine clock). */
  start(): void {
    this.pruning ??= this.clock.every(PRUNE_EVERY_MS, () => void this.prune());
  }

  stop(): void {
    this.pruning?.stop();
    this.pruning = null;
  }

  /** Waits for every queued write. */
  flush(): Promise<void> {
    return this.writer.drain();
  }

  get failedWrites(): number {
    return this.writer.failures;
  }

  /** Appends a snapshot's raw rows and folds it into the current minute. */
  /**
   * `town: false` records the rigs only: in a cluster, a node that is not the leader records
   * the rigs it runs, and the leader alone records the town's series (docs/cluster.md).
   */
  record(snapshot: MetricSnapshot, { town = true }: { town?: boolean } = {}): void {
    const series: Array<[string, MetricValues]> = [
      ...(town ? [[TOWN_SERIES, snapshot.town] as [string, MetricValues]] : []),
      ...Object.entries(snapshot.rigs),
    ];
    const start = Math.floor(snapshot.at / MINUTE_RESOLUTION_MS) * MINUTE_RESOLUTION_MS;
    const rollup = this.minute && this.minute.start !== start ? this.rollupRows(this.minute) : [];
    if (!this.minute || this.minute.start !== start) this.minute = { start, series: new Map() };
    for (const [name, values] of series) this.fold(name, values);
    const raw: SeriesRow[] = series.map(([name, values]) => ({
      resolutionMs: RAW_RESOLUTION_MS,
      at: snapshot.at,
      series: name,
      values,
      max: null,
    }));
    const rows = [...rollup, ...raw];
    void this.writer.run(() => this.store.appendSeries(rows));
  }

  private fold(series: string, values: MetricValues): void {
    let metrics = this.minute!.series.get(series);
    if (!metrics) this.minute!.series.set(series, (metrics = new Map()));
    for (const [metric, value] of Object.entries(values)) {
      let acc = metrics.get(metric);
      if (!acc) metrics.set(metric, (acc = { sum: 0, n: 0, max: null }));
      if (typeof value !== 'number') continue;
      acc.sum += value;
      acc.n++;
      acc.max = acc.max === null ? value : Math.max(acc.max, value);
    }
  }

  private rollupRows(minute: NonNullable<SeriesRecorder['minute']>): SeriesRow[] {
    return [...minute.series.entries()].map(([series, metrics]) => {
      const values: Record<string, number | null> = {};
      const max: Record<string, number | null> = {};
      for (const [metric, acc] of metrics) {
        values[metric] = acc.n === 0 ? null : acc.sum / acc.n;
        max[metric] = acc.max;
      }
      return { resolutionMs: MINUTE_RESOLUTION_MS, at: minute.start, series, values, max };
    });
  }

  /** Deletes raw rows older than a day and rollups older than 30 days. */
  async prune(now = this.clock.now()): Promise<{ raw: number; minute: number }> {
    let result = { raw: 0, minute: 0 };
    await this.writer
      .run(async () => {
        const raw = await this.store.pruneSeries(RAW_RESOLUTION_MS, now - this.rawRetentionMs);
        const minute = await this.store.pruneSeries(MINUTE_RESOLUTION_MS, now - this.minuteRetentionMs);
        result = { raw, minute };
      })
      .catch(() => {}); // counted and logged by the writer; the next tick prunes again
    return result;
  }

  /** A metric of one series over [from, to], at most `maxPoints` points, oldest first. */
  async query(q: RangeQuery): Promise<RangeResult> {
    const now = this.clock.now();
    const maxPoints = Math.max(1, Math.min(5_000, q.maxPoints ?? DEFAULT_MAX_POINTS));
    const useRaw = q.to - q.from <= RAW_RANGE_LIMIT_MS && q.from >= now - this.rawRetentionMs;
    const resolutionMs = useRaw ? RAW_RESOLUTION_MS : MINUTE_RESOLUTION_MS;
    const rows = await this.store.listSeries({ resolutionMs, series: q.series, from: q.from, to: q.to });
    const span = Math.max(1, q.to - q.from);
    const stepMs = Math.max(resolutionMs, Math.ceil(span / maxPoints / resolutionMs) * resolutionMs);
    const buckets = new Map<number, Accumulator>();
    for (const row of rows) {
      const value = row.values[q.metric];
      const max = row.max ? row.max[q.metric] : value;
      const at = q.from + Math.floor((row.at - q.from) / stepMs) * stepMs;
      let acc = buckets.get(at);
      if (!acc) buckets.set(at, (acc = { sum: 0, n: 0, max: null }));
      if (typeof value === 'number') {
        acc.sum += value;
        acc.n++;
      }
      if (typeof max === 'number') acc.max = acc.max === null ? max : Math.max(acc.max, max);
    }
    const points = [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([at, acc]) => ({ at, value: acc.n === 0 ? null : acc.sum / acc.n, max: acc.max }));
    return {
      metric: q.metric,
      series: q.series,
      from: q.from,
      to: q.to,
      resolutionMs,
      stepMs,
      points,
      note: noteFor(q.metric, points),
    };
  }
}

/** Why a chart of these points would draw nothing ("n too small" is not "no data"), or null. */
function noteFor(metric: MetricName, points: RangeResult['points']): string | null {
  if (points.length === 0) return 'No samples in this range yet.';
  if (points.some((p) => p.value !== null)) return null;
  const def: MetricDefinition = METRICS[metric];
  return def.whenNull ?? 'No value in this range yet.';
}
