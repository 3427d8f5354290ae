// Regenerates docs/monitoring/ (the default rules as a Prometheus rule file, the Grafana
// dashboard) from the code: `npm run monitoring:docs`. With --check, writes nothing and
// exits 1 when a file differs (tests/unit/monitoring-docs.test.ts does the same in CI).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { MONITORING_DOCS_DIR, monitoringDocs } from '../server/metrics/monitoring-docs';

const ROOT = path.resolve(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const dir = path.join(ROOT, MONITORING_DOCS_DIR);
let stale = 0;
mkdirSync(dir, { recursive: true });
for (const [name, content] of Object.entries(monitoringDocs())) {
  const file = path.join(dir, name);
  let current: string | null = null;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // missing: written below (or reported stale)
  }
  if (current === content) continue;
  if (check) {
    stale++;
    console.error(`[monitoring-docs] ${path.relative(ROOT, file)} differs from the code: run npm run monitoring:docs`);
  } else {
    writeFileSync(file, content);
    console.log(`[monitoring-docs] wrote ${path.relative(ROOT, file)}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
