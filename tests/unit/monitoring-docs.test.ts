/**
 * docs/monitoring/ as the code makes it: the rule file and the Grafana dashboard are what
 * scripts/monitoring-docs.ts writes today (a renamed metric or a changed default rule
 * fails here until the files are regenerated), the dashboard has what Grafana's import
 * needs, and every query in both names a metric the exporter registers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_RULES } from '@/server/alerts/rules';
import { promDuration, ruleExpr } from '@/server/alerts/prometheus-rules';
import { MONITORING_DOCS_DIR, monitoringDocs } from '@/server/metrics/monitoring-docs';
import { createPrometheusRegistry, type PrometheusDeps } from '@/server/metrics/prometheus';
import { RefineryHistograms } from '@/server/metrics/histograms';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const read = (name: string) => readFileSync(path.join(ROOT, MONITORING_DOCS_DIR, name), 'utf8');

/** Every name the exporter registers (the collectors are not run: only names are read), histograms with their series. */
function servedNames(): Set<string> {
  const unused = null as never;
  // `alerts` present (a stand-in never read) so gt_alerts is registered, as it is on the server.
  const registry = createPrometheusRegistry({
    sampler: unused,
    town: unused,
    alerts: {} as NonNullable<PrometheusDeps['alerts']>,
    histograms: new RefineryHistograms(),
    processMetrics: false,
  });
  const names = new Set<string>();
  for (const m of registry.getMetricsAsArray()) {
    const name = (m as unknown as { name: string }).name;
    names.add(name);
    if ((m as unknown as { type?: string }).type === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  }
  return names;
}

const metricsIn = (expr: string) => [...expr.matchAll(/\bgt_[a-z0-9_]+/g)].map((m) => m[0]);

describe('docs/monitoring', () => {
  it('holds what scripts/monitoring-docs.ts generates from the code (npm run monitoring:docs when this fails)', () => {
    for (const [name, content] of Object.entries(monitoringDocs())) expect(read(name), name).toBe(content);
  });

  it('has the default rules with their for and keep_firing_for, each over served metrics', () => {
    const file = parse(read('gastown-rules.yml')) as {
      groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for: string; keep_firing_for: string }> }>;
    };
    const rules = file.groups[0].rules;
    expect(rules).toHaveLength(DEFAULT_RULES.filter((r) => r.enabled).length);
    const backlog = rules.find((r) => r.alert === 'MergeQueueBacklog')!;
    expect(backlog).toMatchObject({ expr: 'gt_queue_depth > 5', for: '10m', keep_firing_for: '2m' });
    const served = servedNames();
    for (const r of rules) for (const m of metricsIn(r.expr)) expect(served, `${r.alert}: ${m}`).toContain(m);
  });

  it('writes durations and expressions the way Prometheus reads them', () => {
    expect(promDuration(0)).toBe('0s');
    expect(promDuration(90_000)).toBe('1m30s');
    expect(promDuration(3_600_000 + 1_500)).toBe('1h1s500ms');
    expect(
      ruleExpr({ scope: 'town', match: 'all', conditions: [{ metric: 'polecat_max_silence', op: '>', threshold: 900 }] }),
    ).toBe('max without (rig) (gt_polecat_max_silence_seconds) > 900');
    expect(ruleExpr({ scope: 'town', match: 'any', conditions: [{ metric: 'conflict_rate', op: '>=', threshold: 0.25 }] })).toBe(
      '(sum without (rig) (gt_conflict_rate_ratio * gt_conflict_sample) / sum without (rig) (gt_conflict_sample)) >= 0.25',
    );
  });

  it('is a Grafana dashboard Grafana can import, every query over a metric /metrics serves', () => {
    const d = JSON.parse(read('gastown-dashboard.json'));
    // What Grafana's import (and its dashboard schema) needs.
    expect(typeof d.title).toBe('string');
    expect(typeof d.uid).toBe('string');
    expect(d.uid.length).toBeLessThanOrEqual(40);
    expect(Number.isInteger(d.schemaVersion)).toBe(true);
    expect(d.id ?? null).toBeNull();
    expect(Array.isArray(d.panels) && d.panels.length).toBeGreaterThanOrEqual(8);
    const ids = new Set<number>();
    const served = servedNames();
    const vars = new Set(d.templating.list.map((v: { name: string }) => v.name));
    for (const p of d.panels) {
      expect(typeof p.type).toBe('string');
      expect(typeof p.title).toBe('string');
      expect(ids.has(p.id)).toBe(false);
      ids.add(p.id);
      for (const k of ['h', 'w', 'x', 'y']) expect(Number.isInteger(p.gridPos[k]), `${p.title} gridPos.${k}`).toBe(true);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets) {
        expect(t.refId).toMatch(/^[A-Z]$/);
        const names = metricsIn(t.expr);
        expect(names.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const m of names) expect(served, `${p.title}: ${m}`).toContain(m);
        for (const v of t.expr.matchAll(/\$(\w+)/g)) if (!v[1].startsWith('__')) expect(vars).toContain(v[1]);
      }
    }
    const titles = d.panels.map((p: { title: string }) => p.title);
    for (const t of [
      'Merge queue depth',
      'Conflict rate',
      'Throughput',
      'Time in queue (p95)',
      'Patrol latency',
      'Throttled and stalled agents',
      'Cost today',
    ])
      expect(titles).toContain(t);
  });
});
