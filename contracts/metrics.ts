/**
 * The metric catalogue: every number the town is watched by, named once. The sampler
 * fills these names, the series store persists them, alert rules compare them, charts
 * query them and /metrics exports them (prefixed `gt_`), so a name means the same thing
 * everywhere. A metric is town-wide, or per rig with a town-wide aggregate beside it.
 *
 * Values may be null: "no sample" (a conflict rate before any merge attempt, a budget
 * ratio without a budget) is not zero, and a rule's condition on a null value is false.
 */

export type MetricScope = 'town' | 'rig';
export type MetricUnit = 'count' | 'seconds' | 'ratio' | 'per_hour' | 'usd' | 'tokens';

export interface MetricDefinition {
  scope: MetricScope;
  unit: MetricUnit;
  /** One line for people: the chart's title, the rule editor's option, the /metrics HELP. */
  help: string;
  /** What a sample without a value means, said where a chart would draw it (else: no value). */
  whenNull?: string;
}

/** A working polecat silent this long is unresponsive (the seed's "more than 15 minutes"). */
export const UNRESPONSIVE_AFTER_MS = 15 * 60_000;
/** Polecats a town needs before a throttled share means something (1 of 2 is not "many"). */
export const THROTTLED_RATIO_MIN_POLECATS = 4;
/** Fewer attempts than this: a rate is shown with "n too small", not judged (50% over 2 is not a signal). */
export const MIN_RATE_SAMPLE = 10;
/** Less of the Refinery window observed than this (a quarter of the hour): no hourly throughput yet. */
export const MIN_THROUGHPUT_SPAN_MS = 15 * 60_000;
/** Window of `throughput` (the seed's `bd list --status=done --since=1h`). */
export const THROUGHPUT_WINDOW_MS = 3_600_000;
/** Window of `gate_latency`: gates opened this recently still count. */
export const GATE_LATENCY_WINDOW_MS = 5 * 60_000;

export const METRICS = {
  queue_depth: { scope: 'rig', unit: 'count', help: 'Merge requests queued or held by Refinery workers' },
  workers_busy: { scope: 'rig', unit: 'count', help: 'Refinery workers merging or running checks' },
  workers: { scope: 'rig', unit: 'count', help: 'Refinery workers configured' },
  conflict_rate: {
    scope: 'rig',
    unit: 'ratio',
    help: 'Conflicted merge attempts / all attempts in the Refinery window (null without attempts)',
    whenNull: 'No merge attempts in the Refinery window yet.',
  },
  conflict_sample: { scope: 'rig', unit: 'count', help: 'Merge attempts the conflict rate is over' },
  throughput: {
    scope: 'rig',
    unit: 'per_hour',
    help: 'Merges landed (beads completed) per hour over the Refinery window; none until 15 min of it were observed',
    whenNull: `n too small: merges per hour are drawn once ${MIN_THROUGHPUT_SPAN_MS / 60_000} min of the Refinery window were observed.`,
  },
  polecats: { scope: 'rig', unit: 'count', help: 'Polecats' },
  polecats_working: { scope: 'rig', unit: 'count', help: 'Polecats with a bead (not idle)' },
  polecats_unhealthy: { scope: 'rig', unit: 'count', help: 'Polecats the Witness last found unhealthy (health != ok)' },
  polecats_unresponsive: {
    scope: 'rig',
    unit: 'count',
    help: 'Polecats whose agent is running with no heartbeat for more than 15 minutes',
  },
  polecat_max_silence: {
    scope: 'rig',
    unit: 'seconds',
    help: 'Longest time since a polecat whose agent is running (working, reworking) last showed life',
  },
  polecats_throttled: { scope: 'rig', unit: 'count', help: 'Polecats waiting on an API provider limit' },
  witness_interval: { scope: 'rig', unit: 'seconds', help: "The Witness's patrol interval" },
  patrol_duration: { scope: 'town', unit: 'seconds', help: "The Deacon's last patrol cycle (longest loop)" },
  gate_latency: {
    scope: 'town',
    unit: 'seconds',
    help: 'Gate evaluation latency: longest wait of a gate that could open (opened in the last 5 min, or still waiting)',
  },
  throttled_ratio: {
    scope: 'town',
    unit: 'ratio',
    help: 'Share of polecats throttled (null under 4 polecats)',
  },
  nodes_down: {
    scope: 'town',
    unit: 'count',
    help: 'Cluster nodes gone dead whose rigs are not all owned again (absent on one server)',
  },
  tokens_today: { scope: 'town', unit: 'tokens', help: 'Tokens spent today (UTC, engine clock)' },
  cost_today: { scope: 'town', unit: 'usd', help: 'Cost of the priced tokens spent today, USD' },
  budget_ratio: {
    scope: 'town',
    unit: 'ratio',
    help: "Today's spend / the budget alert threshold (or the daily budget); null without either",
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];
export const RIG_METRICS = METRIC_NAMES.filter((m) => METRICS[m].scope === 'rig');

export function isMetricName(name: string): name is MetricName {
  return Object.prototype.hasOwnProperty.call(METRICS, name);
}

export type MetricValues = Partial<Record<MetricName, number | null>>;

/** One sample of every metric, taken at one engine-clock instant. */
export interface MetricSnapshot {
  /** Engine-clock time, ms. */
  at: number;
  /** Town-wide values: town metrics, and the aggregate of every rig metric. */
  town: MetricValues;
  /** Per-rig values of the rig metrics. */
  rigs: Record<string, MetricValues>;
}

/** The series a value belongs to: '' for the town, the rig's name otherwise. */
export const TOWN_SERIES = '';

export interface SeriesPoint {
  /** Engine ms: the start of the point's bucket. */
  at: number;
  /** The average over the bucket (null: no sample had a value). */
  value: number | null;
  /** The maximum over the bucket. */
  max: number | null;
}

export interface RangeQuery {
  metric: MetricName;
  /** '' for the town, a rig's name otherwise. */
  series: string;
  from: number;
  to: number;
  maxPoints?: number;
}

export interface RangeResult {
  metric: MetricName;
  series: string;
  from: number;
  to: number;
  /** The tier read (10 s or 1 min) and the width of each returned point. */
  resolutionMs: number;
  stepMs: number;
  points: SeriesPoint[];
  /** Why nothing can be drawn, for people: no samples in the range, or none with a value (the metric's `whenNull`); null when some point has a value. */
  note: string | null;
}
