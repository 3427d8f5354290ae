/**
 * Browser tests against the real server. Each spec gets its own server from the `server`
 * fixture (tests/e2e/fixtures.ts, on tests/e2e/server.ts): a free port and a fresh data
 * directory, so there is no `webServer` here.
 * Chromium is Debian's (scripts/find-chromium.mjs installs it): Playwright cannot download
 * its own browsers in this environment.
 */
import { randomBytes } from 'node:crypto';
import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from './scripts/chromium-path.mjs';

// The operator token of this run: tests/e2e/server.ts gives it to every server it starts, and
// every page and `request` sends it (below), so specs act as the operator without a sign-in
// step. Set here, in the runner, so the workers inherit the same value.
process.env.GT_E2E_OPERATOR_TOKEN ??= `gto_e2e_${randomBytes(18).toString('base64url')}`;

const ci = !!process.env.CI;

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  workers: 1, // 2-core machines; each spec runs a server and a demo town
  fullyParallel: false,
  forbidOnly: ci,
  retries: ci ? 1 : 0,
  reporter: 'list',
  timeout: 180_000,
  expect: { timeout: 10_000 },
  use: {
    ...devices['Desktop Chrome'],
    viewport: { width: 1400, height: 1000 },
    screenshot: 'only-on-failure',
    // `x-gt-actor`: the name the tests act under (the one GT_AUTH=off uses) in acks and the audit log.
    extraHTTPHeaders: { authorization: `Bearer ${process.env.GT_E2E_OPERATOR_TOKEN}`, 'x-gt-actor': 'local-operator' },
    trace: 'off',
    launchOptions: {
      executablePath: chromiumPath(),
      args: CHROMIUM_ARGS,
    },
  },
});
