/**
 * Alert rules: a condition on the town's metrics, held for a `for` duration before it
 * fires, kept firing for `keepFiringFor` after it stops holding (against flapping), as in
 * Prometheus. A rule is town-wide or per rig: a per-rig rule fires once per rig, labelled
 * `{ rig }`. The seed's alerting section is the default set; defaults are stored like any
 * rule and edited through the same commands (and can be reset).
 */
import { z } from 'zod';
import { line, text, TEXT_LIMITS } from '../../contracts/text';
import { type AlertRule, type Comparison, type Condition } from '../../contracts/alerts';
import { METRICS, isMetricName, type MetricName, type MetricValues } from '../../contracts/metrics';

const MINUTE = 60_000;

/** The seed's alerting section ("Set up alerting when: ...") plus what the issue adds. */
export const DEFAULT_RULES: readonly AlertRule[] = [
  {
    id: 'merge-queue-backlog',
    name: 'Merge queue backlog',
    description: "A rig's merge queue holds more than 5 items for more than 10 minutes: polecats produce faster than it merges.",
    severity: 'warning',
    scope: 'rig',
    conditions: [{ metric: 'queue_depth', op: '>', threshold: 5 }],
    match: 'all',
    forMs: 10 * MINUTE,
    keepFiringForMs: 2 * MINUTE,
    enabled: true,
    inhibits: [],
    builtin: true,
  },
  {
    id: 'deacon-patrol-slow',
    name: 'Deacon patrol slow',
    description: "The Deacon's patrol cycle takes more than 5 minutes: gates and health checks wait that long.",
    severity: 'warning',
    scope: 'town',
    conditions: [{ metric: 'patrol_duration', op: '>', threshold: 300 }],
    match: 'all',
    forMs: 0,
    keepFiringForMs: 5 * MINUTE,
    enabled: true,
    inhibits: [],
    builtin: true,
  },
  {
    id: 'conflict-rate-high',
    name: 'Conflict rate high',
    description: "More than 40% of a rig's merge attempts conflict (over at least 10 attempts).",
    severity: 'critical',
    scope: 'rig',
    conditions: [
      { metric: 'conflict_rate', op: '>', threshold: 0.4 },
      { metric: 'conflict_sample', op: '>=', threshold: 10 },
    ],
    match: 'all',
    forMs: 5 * MINUTE,
    keepFiringForMs: 5 * MINUTE,
    enabled: true,
    inhibits: ['conflict-rate-rising'],
    builtin: true,
  },
  {
    id: 'conflict-rate-rising',
    name: 'Conflict rate rising',
    description:
      "Early warning: more than 20% of a rig's merge attempts conflict (over at least 10 attempts), before the queue or stalls show it.",
    severity: 'info',
    scope: 'rig',
    conditions: [
      { metric: 'conflict_rate', op: '>', threshold: 0.2 },
      { metric: 'conflict_sample', op: '>=', threshold: 10 },
    ],
    match: 'all',
    forMs: 10 * MINUTE,
    keepFiringForMs: 5 * MINUTE,
    enabled: true,
    inhibits: [],
    builtin: true,
  },
  {
    id: 'agent-unresponsive',
    name: 'Agent unresponsive',
    description: 'A working polecat has shown no sign of life for more than 15 minutes.',
    severity: 'critical',
    scope: 'rig',
    conditions: [{ metric: 'polecat_max_silence', op: '>', threshold: 900 }],
    match: 'all',
    forMs: 0,
    keepFiringForMs: 2 * MINUTE,
    enabled: true,
    inhibits: [],
    builtin: true,
  },
  {
    id: 'gate-latency-slow',
    name: 'Gate evaluation slow',
    description: 'A gate that could open waited more than 60 seconds to be opened.',
    severity: 'warning',
    scope: 'town',
    conditions: [{ metric: 'gate_latency', op: '>', threshold: 60 }],
    match: 'all',
    forMs: 0,
    keepFiringForMs: 5 * MINUTE,
    enabled: true,
    inhibits: [],
    builtin: true,
  },
  {
    id: 'node-down',
    name: 'Cluster node down',
    description:
      'A cluster node stopped heartbeating while it ran rigs; the alert names them and their new owners, and clears once every one is owned again (or the node is back).',
    severity: 'critical',
    scope: 'town',
    conditions: [{ metric: 'nodes_down', op: '>', threshold: 0 }],
    match: 'all',
    forMs: 0,
    keepFiringForMs: 0,
    enabled: true,
    inhibits: [],
    builtin: true,
  },
  {
    id: 'token-budget',
    name: 'Daily token budget',
    description: "Today's spend reached the budget alert threshold (gt costs --alert-threshold), or the daily budget.",
    severity: 'critical',
    scope: 'town',
    conditions: [{ metric: 'budget_ratio', op: '>=', threshold: 1 }],
    match: 'all',
    forMs: 0,
    keepFiringForMs: 0,
    enabled: true,
    inhibits: [],
    builtin: true,
  },
  {
    id: 'agents-throttled',
    name: 'Many agents throttled',
    description: 'At least 5 polecats, or a quarter of them, wait on API provider limits at once.',
    severity: 'warning',
    scope: 'town',
    conditions: [
      { metric: 'polecats_throttled', op: '>=', threshold: 5 },
      { metric: 'throttled_ratio', op: '>=', threshold: 0.25 },
    ],
    match: 'any',
    forMs: 2 * MINUTE,
    keepFiringForMs: 2 * MINUTE,
    enabled: true,
    inhibits: [],
    builtin: true,
  },
  {
    id: 'witness-span',
    name: 'Witness spread thin',
    description: 'More than 15 polecats per Witness on a 5-minute patrol: stalls go unnoticed for too long.',
    severity: 'info',
    scope: 'rig',
    conditions: [
      { metric: 'polecats', op: '>', threshold: 15 },
      { metric: 'witness_interval', op: '>=', threshold: 300 },
    ],
    match: 'all',
    forMs: 5 * MINUTE,
    keepFiringForMs: 0,
    enabled: true,
    inhibits: [],
    builtin: true,
  },
];

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/** Whether the rule's condition holds for these values; a missing (null) value never holds. */
export function conditionHolds(rule: Pick<AlertRule, 'conditions' | 'match'>, values: MetricValues): boolean {
  const holds = (c: Condition) => {
    const v = values[c.metric];
    return typeof v === 'number' && compare(v, c.op, c.threshold);
  };
  return rule.match === 'all' ? rule.conditions.every(holds) : rule.conditions.some(holds);
}

/** A metric value the way people read it: 42%, 6 min 30 s, $12.40, 7. */
export function formatValue(metric: MetricName, value: number | null): string {
  if (value === null) return 'n/a';
  switch (METRICS[metric].unit) {
    case 'ratio':
      return `${Math.round(value * 1000) / 10}%`;
    case 'seconds': {
      if (value < 120) return `${Math.round(value)} s`;
      const min = Math.floor(value / 60);
      return min < 120 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
    }
    case 'usd':
      return `$${value.toFixed(2)}`;
    case 'per_hour':
      return `${Math.round(value * 10) / 10}/h`;
    default:
      return String(Math.round(value * 100) / 100);
  }
}

/** "queue_depth > 5 and conflict_sample >= 10", with thresholds as people read them. */
export function describeConditions(rule: Pick<AlertRule, 'conditions' | 'match'>): string {
  return rule.conditions
    .map((c) => `${c.metric} ${c.op} ${formatValue(c.metric, c.threshold)}`)
    .join(rule.match === 'all' ? ' and ' : ' or ');
}

// ---------------------------------------------------------------- validation (zod)

const RuleId = line({ max: 48 }).regex(
  /^[a-z0-9][a-z0-9-]{1,47}$/,
  'a rule id is 2-48 lowercase letters, digits and dashes, e.g. queue-depth-high',
);
const DurationMs = (what: string) =>
  z
    .number({ error: `${what} must be a number of milliseconds` })
    .int(`${what} must be a whole number of milliseconds`)
    .min(0, `${what} cannot be negative`)
    .max(7 * 24 * 3_600_000, `${what} must be at most 7 days`);

export const ConditionSchema = z.strictObject({
  metric: line({ max: TEXT_LIMITS.name }).refine(isMetricName, {
    message: `metric must be one of ${Object.keys(METRICS).join(', ')}`,
  }),
  op: z.enum(['>', '>=', '<', '<='], { error: 'op is one of >, >=, <, <=' }),
  threshold: z.number({ error: 'threshold must be a number' }).finite(),
});

const RuleFields = {
  name: line({ max: TEXT_LIMITS.name, min: 1, minMessage: 'a rule needs a name', trim: true }),
  description: text({ max: TEXT_LIMITS.reason, trim: true }),
  severity: z.enum(['info', 'warning', 'critical'], { error: 'severity is one of info, warning, critical' }),
  scope: z.enum(['town', 'rig'], { error: 'scope is town or rig' }),
  conditions: z.array(ConditionSchema).min(1, 'a rule needs a condition').max(5),
  match: z.enum(['all', 'any']),
  forMs: DurationMs('forMs'),
  keepFiringForMs: DurationMs('keepFiringForMs'),
  enabled: z.boolean(),
  inhibits: z.array(RuleId).max(10),
};

/** A per-rig rule can only watch per-rig metrics (a town rule may watch any town value). */
function scopeFits(v: { scope?: 'town' | 'rig'; conditions?: Array<{ metric: string }> }): boolean {
  if (v.scope !== 'rig' || !v.conditions) return true;
  return v.conditions.every((c) => isMetricName(c.metric) && METRICS[c.metric].scope === 'rig');
}
const SCOPE_PROBLEM = 'a per-rig rule can only watch per-rig metrics';

export const NewRuleSchema = z
  .strictObject({
    id: RuleId,
    ...RuleFields,
    description: RuleFields.description.default(''),
    match: RuleFields.match.default('all'),
    keepFiringForMs: RuleFields.keepFiringForMs.default(0),
    enabled: RuleFields.enabled.default(true),
    inhibits: RuleFields.inhibits.default([]),
  })
  .refine(scopeFits, { message: SCOPE_PROBLEM, path: ['conditions'] });

export const RulePatchSchema = z
  .strictObject({
    id: RuleId,
    name: RuleFields.name.optional(),
    description: RuleFields.description.optional(),
    severity: RuleFields.severity.optional(),
    scope: RuleFields.scope.optional(),
    conditions: RuleFields.conditions.optional(),
    match: RuleFields.match.optional(),
    forMs: RuleFields.forMs.optional(),
    keepFiringForMs: RuleFields.keepFiringForMs.optional(),
    enabled: RuleFields.enabled.optional(),
    inhibits: RuleFields.inhibits.optional(),
  })
  .refine((v) => Object.keys(v).length > 1, { message: 'nothing to change' });

export type NewRule = z.output<typeof NewRuleSchema>;
export type RulePatch = z.output<typeof RulePatchSchema>;

/** Checks a rule as a whole (after a patch is applied); returns the problem, or null. */
export function ruleProblem(rule: AlertRule): string | null {
  return scopeFits(rule) ? null : SCOPE_PROBLEM;
}
