// Where the browser tests find Chromium. Playwright cannot download its own browsers in
// this environment, so the tests drive Debian's Chromium (`apt-get install -y chromium`).
// CHROMIUM_PATH overrides the default.
import { existsSync } from 'node:fs';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** The Chromium executable the tests should launch (it may not exist yet). */
export function chromiumPath(env = process.env) {
  return env.CHROMIUM_PATH && env.CHROMIUM_PATH.length > 0 ? env.CHROMIUM_PATH : DEFAULT_CHROMIUM_PATH;
}

/** The flags the browser tests and benchmarks launch it with: no sandbox in a container, no GPU, nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** True when that executable is present. */
export function chromiumInstalled(env = process.env) {
  return existsSync(chromiumPath(env));
}
