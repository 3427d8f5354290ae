// `npm start` and the browser tests need a production build: build when there is none
// (a fresh clone) or when a source the pages are built from is newer than the build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const SOURCES = ['app', 'components', 'contracts', 'lib', 'server', 'next.config.js', 'postcss.config.mjs', 'package-lock.json'];
const SKIP = new Set(['node_modules', 'generated', 'generated-pg']);

function newestMtime(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) {
    if (!SKIP.has(name)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

const buildId = '.next/BUILD_ID';
const built = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
const changed = Math.max(...SOURCES.map(newestMtime));
if (built === 0 || changed > built) {
  console.log(
    built === 0
      ? '[gastown] no production build yet: running `next build`…'
      : '[gastown] sources changed since the last build: running `next build`…',
  );
  const r = spawnSync(process.execPath, ['node_modules/next/dist/bin/next', 'build'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
