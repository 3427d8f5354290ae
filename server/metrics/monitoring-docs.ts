/**
 * The files docs/monitoring/ holds, as the code makes them: the default rules as a
 * Prometheus rule file and the Grafana dashboard. scripts/monitoring-docs.ts writes them;
 * tests/unit/monitoring-docs.test.ts fails when the files drift from this.
 */
import { DEFAULT_RULES } from '../alerts/rules';
import { prometheusRuleFile } from '../alerts/prometheus-rules';
import { grafanaDashboard } from './grafana';

export const MONITORING_DOCS_DIR = 'docs/monitoring';

/** File name (under docs/monitoring/) -> content. */
export function monitoringDocs(): Record<string, string> {
  return {
    'gastown-rules.yml': prometheusRuleFile(DEFAULT_RULES),
    'gastown-dashboard.json': `${JSON.stringify(grafanaDashboard(), null, 2)}\n`,
  };
}
