/**
 * The town's alert rules as a Prometheus rule file (`gt alerts rules --format prometheus`,
 * GET /api/alerts/rules?format=prometheus, docs/monitoring/gastown-rules.yml), over the
 * names /metrics serves: an operator's Prometheus evaluates the same thresholds, `for`
 * and `keep_firing_for` as the town, and its alerts carry the same alertname and labels
 * as the ones the town posts to Alertmanager (alertmanager.ts), so they group together.
 *
 * A per-rig rule compares the per-rig series (`gt_queue_depth{rig=...}`), one alert per
 * rig. A town-wide rule over a rig metric compares the town's aggregate the way the
 * sampler makes it (sampler.ts): a sum over rigs, the maximum for the "longest" metrics,
 * and the conflict rate re-weighted by its sample. Conditions join with `and` (match all)
 * or `or` (match any); a PromQL comparison keeps the series that hold, as a rule's
 * condition holds only on a value. Disabled rules are left out (they evaluate nothing).
 */
import { stringify } from 'yaml';
import type { AlertRule, Condition } from '../../contracts/alerts';
import { METRICS } from '../../contracts/metrics';
import { prometheusName } from '../metrics/prometheus';
import { TOWN_AGGREGATE } from '../metrics/sampler';
import { alertName } from './alertmanager';

/** ms as a Prometheus duration: 600000 -> 10m, 90000 -> 1m30s, 0 -> 0s. */
export function promDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ];
  let left = Math.round(ms);
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out;
}

/** The PromQL for one metric at the rule's scope. */
export function seriesExpr(metric: Condition['metric'], scope: AlertRule['scope']): string {
  const name = prometheusName(metric);
  if (scope === 'rig' || METRICS[metric].scope === 'town') return name;
  if (metric === 'conflict_rate') {
    const sample = prometheusName('conflict_sample');
    return `(sum without (rig) (${name} * ${sample}) / sum without (rig) (${sample}))`;
  }
  return `${TOWN_AGGREGATE[metric] ?? 'sum'} without (rig) (${name})`;
}

/** A number as PromQL reads it (no exponent surprises for thresholds people type). */
function literal(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

export function ruleExpr(rule: Pick<AlertRule, 'conditions' | 'match' | 'scope'>): string {
  const parts = rule.conditions.map((c) => `${seriesExpr(c.metric, rule.scope)} ${c.op} ${literal(c.threshold)}`);
  if (parts.length === 1) return parts[0];
  return parts.map((p) => `(${p})`).join(rule.match === 'all' ? ' and ' : ' or ');
}

export interface RuleFileOptions {
  /** Added as the `town` label (the town's own alerts carry it); left out for a file meant for any town. */
  town?: string;
}

export function prometheusRuleFile(rules: readonly AlertRule[], options: RuleFileOptions = {}): string {
  const enabled = rules.filter((r) => r.enabled).sort((a, b) => a.id.localeCompare(b.id));
  const doc = {
    groups: [
      {
        name: 'gastown',
        rules: enabled.map((rule) => ({
          alert: alertName(rule.id),
          expr: ruleExpr(rule),
          for: promDuration(rule.forMs),
          keep_firing_for: promDuration(rule.keepFiringForMs),
          labels: { severity: rule.severity, ...(options.town ? { town: options.town } : {}) },
          annotations: {
            summary: `${rule.name}${rule.scope === 'rig' ? ' on {{ $labels.rig }}' : ''}: {{ $value }}`,
            description: rule.description || rule.name,
          },
        })),
      },
    ],
  };
  const skipped = rules.filter((r) => !r.enabled).map((r) => r.id);
  const header = [
    '# Gas Town Fleet alert rules as Prometheus rules, over the names /metrics serves.',
    "# Generated from the town's rules (gt alerts rules --format prometheus); see docs/alerts.md.",
    ...(skipped.length ? [`# Disabled in the town, so left out: ${skipped.sort().join(', ')}.`] : []),
  ];
  return `${header.join('\n')}\n${stringify(doc, { lineWidth: 0 })}`;
}
