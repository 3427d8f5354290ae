// Installs a Debian package for the test tools when it is missing and this is root with
// apt-get (a fresh CI machine). Used by find-chromium.mjs, ensure-jq.mjs and ensure-prometheus.mjs.
import { spawnSync } from 'node:child_process';

function run(tag, command, args) {
  console.log(`[${tag}] $ ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error) console.error(`[${tag}] ${command} could not run: ${r.error.message}`);
  return r.status === 0;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export function canApt() {
  return isRoot && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Tries `apt-get install -y <pkg>`; returns whether `present()` holds afterwards. */
export function aptInstall(tag, pkg, present) {
  if (!canApt()) return present();
  // A failed `apt-get update` (one unreachable mirror) may still leave usable lists.
  if (!run(tag, 'apt-get', ['update'])) console.warn(`[${tag}] apt-get update failed; trying the install anyway`);
  run(tag, 'apt-get', ['install', '-y', pkg]);
  return present();
}
