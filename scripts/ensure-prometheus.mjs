// The monitoring tests run the real tools: `promtool` (check metrics, check rules),
// `prometheus` (scrapes a test server and evaluates the exported rules) and `prometheus-alertmanager`
// (receives the town's alerts). Debian's packages, installed when missing and possible.
import { spawnSync } from 'node:child_process';
import { aptInstall } from './apt.mjs';

const TOOLS = [
  { bin: 'promtool', pkg: 'prometheus' },
  { bin: 'prometheus', pkg: 'prometheus' },
  { bin: 'prometheus-alertmanager', pkg: 'prometheus-alertmanager' },
];

const has = (bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
const missing = () => TOOLS.filter((t) => !has(t.bin));

for (const pkg of new Set(missing().map((t) => t.pkg))) {
  aptInstall('ensure-prometheus', pkg, () => !missing().some((t) => t.pkg === pkg));
}
const still = missing();
if (still.length === 0) {
  console.log('[ensure-prometheus] promtool, prometheus and prometheus-alertmanager are available');
} else {
  console.error(
    `[ensure-prometheus] missing ${still.map((t) => t.bin).join(', ')}: \`apt-get install -y prometheus prometheus-alertmanager\` (the monitoring tests run them)`,
  );
  process.exit(1);
}
