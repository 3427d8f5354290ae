/**
 * What `gt costs` prints and the costs page shows: tokens and cost grouped by agent, rig,
 * convoy, model or day, over today or the last week, with the budget beside it. Cost of a
 * model without a known price is reported as unknown, never as zero.
 */

export type CostGroup = 'agent' | 'rig' | 'convoy' | 'model' | 'day';
export type CostRange = 'today' | 'week';

export interface CostRow {
  key: string;
  inputTokens: number;
  outputTokens: number;
  /** Sum of priced usage, USD. */
  costUsd: number;
  /** Tokens of models with no known price (their cost is unknown). */
  unpricedTokens: number;
}

export interface CostsView {
  by: CostGroup;
  range: CostRange;
  /** First UTC day of the range, YYYY-MM-DD. */
  since: string;
  rows: CostRow[];
  total: { costUsd: number; tokens: number };
  /** Agent runs in the range whose usage is unknown (no usage lines), and by which polecats. */
  unmetered: { runs: number; polecats: string[] };
  /** Today's spend so far (UTC day on the engine clock). */
  today: { day: string; costUsd: number; tokens: number; unpricedTokens: number };
  budget: {
    dailyBudgetUsd: number | null;
    alertThresholdUsd: number | null;
    /** Share of the daily budget spent today (null without a budget). */
    usedFraction: number | null;
    overThreshold: boolean;
  };
}
