// Makes sure a Chromium is available for Playwright (see scripts/chromium-path.mjs).
// On a fresh machine, as root with apt-get, it installs Debian's `chromium` package.
import { aptInstall, isRoot } from './apt.mjs';
import { chromiumInstalled, chromiumPath } from './chromium-path.mjs';

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

console.log(`[find-chromium] ${wanted} is missing: installing Debian's chromium package…`);
if (aptInstall('find-chromium', 'chromium', () => chromiumInstalled())) {
  console.log(`[find-chromium] installed; using ${wanted}`);
  process.exit(0);
}

console.error(
  `[find-chromium] no Chromium at ${wanted}. The browser tests need one: ` +
    (isRoot
      ? 'installing it with apt-get did not work (see above); install it yourself, '
      : 'run `sudo apt-get install -y chromium`, ') +
    'or set CHROMIUM_PATH to an existing Chromium executable. (`npx playwright install` cannot download browsers here.)',
);
process.exit(1);
