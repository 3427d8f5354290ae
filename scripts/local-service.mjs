// Finding or starting a service the tests need on this machine (PostgreSQL here; Redis can
// use the same steps): use it when it answers; when it is installed but stopped, start it;
// when it is missing and this is root with apt-get, install Debian's package and start it;
// otherwise fail saying exactly what is missing and how to provide it.
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { aptInstall, isRoot } from './apt.mjs';

/** Polls `probe` (async, true when the service answers) until it does or `timeoutMs` passes. */
export async function waitFor(probe, timeoutMs = 30_000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** Runs a command (argument array, no shell), echoing it under `tag`; true when it exits 0. */
export function runStep(tag, command, args) {
  console.log(`[${tag}] $ ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error) console.error(`[${tag}] ${command} could not run: ${r.error.message}`);
  return r.status === 0;
}

/**
 * The steps above for one service.
 * - probe(): resolves true when the service answers as the tests need it;
 * - installed(): whether its binaries are on the machine;
 * - start(): starts the installed service (sync; true when the command worked);
 * - afterInstall(): optional, once after a fresh install (e.g. allow loopback logins);
 * - aptPackage: Debian's package name; missing: what to tell a person when nothing worked;
 * - startTimeoutMs: how long a started service may take to answer (default 30 s).
 * Resolves with how it was found ('running' | 'started' | 'installed'), or throws.
 */
export async function ensureLocalService({
  tag,
  probe,
  installed,
  start,
  afterInstall,
  aptPackage,
  missing,
  startTimeoutMs = 30_000,
}) {
  if (await probe()) return 'running';
  if (installed()) {
    console.log(`[${tag}] not answering: starting it`);
    start();
    if (await waitFor(probe, startTimeoutMs)) return 'started';
    throw new Error(`[${tag}] ${aptPackage} is installed but did not start (see the output above). ${missing}`);
  }
  if (!isRoot) throw new Error(`[${tag}] ${aptPackage} is not installed and this is not root. ${missing}`);
  console.log(`[${tag}] not installed: installing Debian's ${aptPackage} package…`);
  if (!aptInstall(tag, aptPackage, installed)) throw new Error(`[${tag}] installing ${aptPackage} failed. ${missing}`);
  afterInstall?.();
  start();
  if (await waitFor(probe, startTimeoutMs)) return 'installed';
  throw new Error(`[${tag}] ${aptPackage} was installed but does not answer (see the output above). ${missing}`);
}
