// `npm test`: the whole suite, in order, stopping at the first failing step with its exit code.
//   0. the PostgreSQL schema in step with prisma/schema.prisma (names the command that fixes it),
//      then tsc, eslint and prettier over the whole tree
//   1. node scripts/ensure-postgres.mjs PostgreSQL for the store tests (started or installed when missing)
//      vitest run                      unit + integration tests (SQLite and PostgreSQL stores)
//   2. node scripts/ensure-build.mjs   production build for the browser tests (if missing)
//   3. node scripts/find-chromium.mjs  Debian's Chromium (installed with apt-get when root)
//      node scripts/ensure-jq.mjs      jq, for the CLI tests that pipe the seed's commands into it
//   4. playwright test                 browser tests against the real server
// The vitest step needs promtool, prometheus and prometheus-alertmanager (the monitoring tests run
// them): scripts/ensure-prometheus.mjs installs them first, with the Debian packages.
// Each runner prints its own summary; the last line adds them up: `N passed, M failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const REPORTS = path.join(ROOT, '.tmp', 'test-reports');
const VITEST_JSON = path.join(REPORTS, 'vitest.json');
const PLAYWRIGHT_JSON = path.join(REPORTS, 'playwright.json');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);

rmSync(REPORTS, { recursive: true, force: true });
mkdirSync(REPORTS, { recursive: true });

const steps = [
  { name: 'postgresql schema', command: process.execPath, args: ['scripts/pg-schema.mjs', '--check'] },
  { name: 'typecheck (tsc)', command: bin('tsc'), args: ['--noEmit', '-p', '.'] },
  { name: 'lint (eslint)', command: bin('eslint'), args: ['.'] },
  { name: 'format (prettier)', command: bin('prettier'), args: ['--check', '.', '--log-level', 'warn'] },
  { name: 'postgresql', command: process.execPath, args: ['scripts/ensure-postgres.mjs'] },
  { name: 'prometheus tools', command: process.execPath, args: ['scripts/ensure-prometheus.mjs'] },
  {
    name: 'unit + integration (vitest)',
    command: bin('vitest'),
    args: ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_JSON}`],
  },
  { name: 'production build', command: process.execPath, args: ['scripts/ensure-build.mjs'] },
  { name: 'chromium', command: process.execPath, args: ['scripts/find-chromium.mjs'] },
  { name: 'jq', command: process.execPath, args: ['scripts/ensure-jq.mjs'] },
  {
    name: 'browser (playwright)',
    command: bin('playwright'),
    args: ['test', '--reporter=list,json'],
    env: { PLAYWRIGHT_JSON_OUTPUT_FILE: PLAYWRIGHT_JSON },
  },
];

const readJson = (file) => {
  try {
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
  } catch {
    return null;
  }
};

/** Test counts from the runners' JSON reports (whatever ran). */
function tally() {
  const t = { passed: 0, failed: 0, skipped: 0, flaky: 0 };
  const v = readJson(VITEST_JSON);
  if (v) {
    t.passed += v.numPassedTests ?? 0;
    t.failed += v.numFailedTests ?? 0;
    t.skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
  }
  const p = readJson(PLAYWRIGHT_JSON)?.stats;
  if (p) {
    t.passed += (p.expected ?? 0) + (p.flaky ?? 0);
    t.flaky += p.flaky ?? 0;
    t.failed += p.unexpected ?? 0;
    t.skipped += p.skipped ?? 0;
  }
  return t;
}

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const timings = [];
const started = Date.now();
let exitCode = 0;

for (const step of steps) {
  console.log(`\n[test] ── ${step.name} ──`);
  const t0 = Date.now();
  const r = spawnSync(step.command, step.args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...step.env } });
  timings.push(`${step.name} ${secs(Date.now() - t0)}`);
  if (r.error || r.status !== 0) {
    exitCode = r.status || 1;
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    console.error(`\n[test] ${step.name} failed (${why}); stopping.`);
    break;
  }
}

const t = tally();
console.log(`\n[test] ${timings.join(' · ')} · total ${secs(Date.now() - started)}`);
const extra = [t.skipped && `${t.skipped} skipped`, t.flaky && `${t.flaky} flaky`].filter(Boolean);
console.log(
  `[test] ${t.passed} passed, ${t.failed} failed${extra.length ? `, ${extra.join(', ')}` : ''}${exitCode ? ' (FAILED)' : ''}`,
);
process.exit(exitCode);
