/**
 * Where metric time series are kept: a port with two implementations, like TownStore
 * (MemoryMetricsStore here for tests and simulations, PrismaMetricsStore for SQLite and
 * later PostgreSQL), both held to one conformance suite.
 *
 * A row is one series (the town, or one rig) at one time and resolution: every metric's
 * value in one JSON object, so a sample of a 20-rig town is 21 rows, not 400.
 */
import type { MetricValues } from '../../contracts/metrics';

/** Raw samples: one per sampler tick (nominally 10 s), kept a day. */
export const RAW_RESOLUTION_MS = 10_000;
/** Minute rollups (average and maximum), kept 30 days. */
export const MINUTE_RESOLUTION_MS = 60_000;

export interface SeriesRow {
  /** RAW_RESOLUTION_MS or MINUTE_RESOLUTION_MS: which tier the row belongs to. */
  resolutionMs: number;
  /** Engine ms: the sample's time, or the start of the rollup's minute. */
  at: number;
  /** '' for the town, the rig's name otherwise. */
  series: string;
  /** The sampled values, or the average over the minute. */
  values: MetricValues;
  /** Rollups: each metric's maximum over the minute; null for raw rows. */
  max: MetricValues | null;
}

export interface SeriesQuery {
  resolutionMs: number;
  series: string;
  /** Inclusive, engine ms. */
  from: number;
  /** Inclusive, engine ms. */
  to: number;
  limit?: number;
}

export interface MetricsStore {
  appendSeries(rows: SeriesRow[]): Promise<void>;
  /** Rows of one series and tier in [from, to], oldest first. */
  listSeries(query: SeriesQuery): Promise<SeriesRow[]>;
  /** Deletes a tier's rows older than `before`; returns how many went. */
  pruneSeries(resolutionMs: number, before: number): Promise<number>;
  /** How many rows a tier holds (retention checks, /metrics). */
  countSeries(resolutionMs: number): Promise<number>;
}

/** MetricsStore in memory: same filters and order as the Prisma one; rows copied in and out. */
export class MemoryMetricsStore implements MetricsStore {
  private rows: SeriesRow[] = [];

  async appendSeries(rows: SeriesRow[]): Promise<void> {
    for (const row of rows) this.rows.push(structuredClone(row));
  }

  async listSeries(query: SeriesQuery): Promise<SeriesRow[]> {
    const found = this.rows
      .filter((r) => r.resolutionMs === query.resolutionMs && r.series === query.series && r.at >= query.from && r.at <= query.to)
      .sort((a, b) => a.at - b.at);
    const limited = query.limit === undefined ? found : found.slice(0, Math.max(0, Math.floor(query.limit)));
    return limited.map((r) => structuredClone(r));
  }

  async pruneSeries(resolutionMs: number, before: number): Promise<number> {
    const kept = this.rows.filter((r) => r.resolutionMs !== resolutionMs || r.at >= before);
    const pruned = this.rows.length - kept.length;
    this.rows = kept;
    return pruned;
  }

  async countSeries(resolutionMs: number): Promise<number> {
    return this.rows.filter((r) => r.resolutionMs === resolutionMs).length;
  }
}
