/**
 * MetricsStore on Prisma (the MetricPoint table). Portable queries only, like PrismaStore.
 * It shares the server's PrismaClient and does not close it: the TownStore owns the client.
 */
import type { StoreClient } from '../store/client';
import type { MetricValues } from '../../contracts/metrics';
import type { MetricsStore, SeriesQuery, SeriesRow } from './series-store';

export class PrismaMetricsStore implements MetricsStore {
  constructor(private readonly prisma: StoreClient) {}

  async appendSeries(rows: SeriesRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.prisma.metricPoint.createMany({
      data: rows.map((r) => ({
        resolutionMs: r.resolutionMs,
        at: r.at,
        series: r.series,
        values: JSON.stringify(r.values),
        max: r.max === null ? null : JSON.stringify(r.max),
      })),
    });
  }

  async listSeries(query: SeriesQuery): Promise<SeriesRow[]> {
    const rows = await this.prisma.metricPoint.findMany({
      where: { resolutionMs: query.resolutionMs, series: query.series, at: { gte: query.from, lte: query.to } },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
      take: query.limit === undefined ? undefined : Math.max(0, Math.floor(query.limit)),
    });
    return rows.map((r) => ({
      resolutionMs: r.resolutionMs,
      at: r.at,
      series: r.series,
      values: JSON.parse(r.values) as MetricValues,
      max: r.max === null ? null : (JSON.parse(r.max) as MetricValues),
    }));
  }

  async pruneSeries(resolutionMs: number, before: number): Promise<number> {
    const { count } = await this.prisma.metricPoint.deleteMany({ where: { resolutionMs, at: { lt: before } } });
    return count;
  }

  async countSeries(resolutionMs: number): Promise<number> {
    return this.prisma.metricPoint.count({ where: { resolutionMs } });
  }
}
