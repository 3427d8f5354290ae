// Makes sure a Chromium is available for Playwright (see scripts/chromium-path.mjs).
// On a fresh machine, as root with apt-get, it installs Debian's `chromium` package.
import { spawnSync } from 'node:child_process';
import { chromiumInstalled, chromiumPath } from './chromium-path.mjs';

function run(command, args) {
  console.log(`[find-chromium] $ ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error) console.error(`[find-chromium] ${command} could not run: ${r.error.message}`);
  return r.status === 0;
}

function hasAptGet() {
  return spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

const wanted = chromiumPath();
if (chromiumInstalled()) {
  console.log(`[find-chromium] using ${wanted}`);
  process.exit(0);
}

if (process.env.CHROMIUM_PATH) {
  console.error(
    `[find-chromium] CHROMIUM_PATH=${wanted} does not exist. Point it at a Chromium executable, or unset it to use /usr/bin/chromium.`,
  );
  process.exit(1);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && hasAptGet()) {
  console.log(`[find-chromium] ${wanted} is missing: installing Debian's chromium package…`);
  // A failed `apt-get update` (one unreachable mirror) may still leave usable lists.
  if (!run('apt-get', ['update'])) console.warn('[find-chromium] apt-get update failed; trying the install anyway');
  run('apt-get', ['install', '-y', 'chromium']);
  if (chromiumInstalled()) {
    console.log(`[find-chromium] installed; using ${wanted}`);
    process.exit(0);
  }
}

console.error(
  `[find-chromium] no Chromium at ${wanted}. The browser tests need one: ` +
    (isRoot
      ? 'installing it with apt-get did not work (see above); install it yourself, '
      : 'run `sudo apt-get install -y chromium`, ') +
    'or set CHROMIUM_PATH to an existing Chromium executable. (`npx playwright install` cannot download browsers here.)',
);
process.exit(1);
