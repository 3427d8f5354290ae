/**
 * Token usage priced into cost, summed per day, rig, polecat, convoy and model, and the
 * watch on waste: a polecat that keeps spending tokens without making progress (a retry
 * loop: "one polecat stuck in a retry loop can burn more in an hour than ten healthy
 * ones in a day") is flagged once per loop.
 */
import type { EngineContext } from './context';
import type { UsageRecord } from '../../contracts/records';

/** USD per million tokens, input and output. Unknown models cost "unknown", never zero. */
export const MODEL_PRICES: Record<string, { input: number; output: number }> = {
  'claude-opus-4-1': { input: 15, output: 75 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gemini-2.5-pro': { input: 1.25, output: 10 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
};

export function priceOf(model: string, inputTokens: number, outputTokens: number): number | null {
  const price = MODEL_PRICES[model];
  if (!price) return null;
  return (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
}

/** UTC day of an engine-clock time. */
export function dayOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export interface UsageReport {
  rig: string;
  polecatId: string;
  convoyId: string | null;
  model: string;
  inputTokens: number;
  outputTokens: number;
}

export class CostMeter {
  private pending = new Map<string, UsageRecord>();
  private flushScheduled = false;
  /** Today's spend, for the budget (reset when the day turns). */
  private today = { day: '', costUsd: 0, tokens: 0, unpricedTokens: 0 };
  private readonly sinceProgress = new Map<string, { tokens: number; flagged: boolean }>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly retryLoopTokens: () => number,
  ) {}

  /** Seeds today's spend from the store (on start). */
  seedToday(records: UsageRecord[]): void {
    const day = dayOf(this.ctx.clock.now());
    this.today = { day, costUsd: 0, tokens: 0, unpricedTokens: 0 };
    for (const r of records) if (r.day === day) this.addToToday(r);
  }

  record(report: UsageReport): void {
    const at = this.ctx.clock.now();
    const record: UsageRecord = {
      day: dayOf(at),
      ...report,
      costUsd: priceOf(report.model, report.inputTokens, report.outputTokens),
    };
    if (record.day !== this.today.day) this.today = { day: record.day, costUsd: 0, tokens: 0, unpricedTokens: 0 };
    this.addToToday(record);
    this.queue(record);
    this.watchForLoop(report.polecatId, report.rig, report.inputTokens + report.outputTokens);
  }

  /** The polecat made progress: its retry-loop count starts over. */
  progressed(polecatId: string): void {
    this.sinceProgress.delete(polecatId);
  }

  todaySpend(): { day: string; costUsd: number; tokens: number; unpricedTokens: number } {
    if (this.today.day !== dayOf(this.ctx.clock.now()))
      return { day: dayOf(this.ctx.clock.now()), costUsd: 0, tokens: 0, unpricedTokens: 0 };
    return { ...this.today };
  }

  private addToToday(r: UsageRecord): void {
    const tokens = r.inputTokens + r.outputTokens;
    this.today.tokens += tokens;
    if (r.costUsd === null) this.today.unpricedTokens += tokens;
    else this.today.costUsd += r.costUsd;
  }

  private watchForLoop(polecatId: string, rig: string, tokens: number): void {
    const entry = this.sinceProgress.get(polecatId) ?? { tokens: 0, flagged: false };
    entry.tokens += tokens;
    this.sinceProgress.set(polecatId, entry);
    if (!entry.flagged && entry.tokens >= this.retryLoopTokens()) {
      entry.flagged = true;
      this.ctx.emit({
        type: 'polecat.retry_loop',
        at: this.ctx.clock.now(),
        rig,
        polecat: polecatId,
        tokensWithoutProgress: entry.tokens,
      });
    }
  }

  /** Usage of one tick is summed and written as one batch. */
  private queue(record: UsageRecord): void {
    const key = [record.day, record.rig, record.polecatId, record.convoyId ?? '', record.model].join('\u0000');
    const sum = this.pending.get(key);
    if (!sum) this.pending.set(key, { ...record });
    else {
      sum.inputTokens += record.inputTokens;
      sum.outputTokens += record.outputTokens;
      if (record.costUsd !== null) sum.costUsd = (sum.costUsd ?? 0) + record.costUsd;
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      void this.ctx.persistence.write((s) => s.addUsage(batch));
    });
  }
}
