/**
 * The demo rigs' validation check: `durationMs` of real time "running checks", then a scan of
 * the merge result (the scratch worktree it runs in, `.git` skipped) for the marker the
 * scripted agent writes into a change it simulates as broken. A broken change fails the
 * check the way a failing test suite would, with the offending `./file:line:text` lines as
 * its output; a clean one passes.
 *
 * Three tiny programs (sh, sleep, grep), not Node: a 100-polecat demo town keeps several
 * checks a second running, and Node's start-up (70-120 ms of CPU each) took a whole core of a
 * 2-core machine away from the town and the browser showing it (docs/benchmarks.md, page
 * timing). The duration and the marker are the script's arguments ($1, $2), never its text.
 */
import type { CheckSpec } from '../../contracts/records';

/** What the scripted agent writes into a change it breaks on purpose (spelled in two parts so no scan of this file flags it). */
export const CHECK_FAIL_MARKER = 'GT_CHECK_' + 'FAIL';

const SCRIPT = [
  'sleep "$1" || exit 2',
  'grep -rnIF --exclude-dir=.git -e "$2" .',
  // grep: 0 = the marker was found (the change is broken), 1 = not found, 2 = an error.
  'case $? in 0) exit 1 ;; 1) echo "checks passed" ;; *) exit 2 ;; esac',
].join('\n');

export function demoCheck(durationMs = 2_500): CheckSpec {
  if (!(durationMs >= 0)) throw new Error(`demo check duration must be >= 0 ms, got ${durationMs}`);
  return {
    name: 'checks',
    command: ['sh', '-c', SCRIPT, 'demo-check', String(durationMs / 1000), CHECK_FAIL_MARKER],
    timeoutMs: 60_000,
  };
}
