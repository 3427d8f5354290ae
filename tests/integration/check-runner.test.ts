/**
 * CheckRunner against a real repository and real processes: the Refinery's validation
 * checks in per-slot scratch worktrees, with timeouts, aborts and hostile arguments.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckSpec } from '@/server/engine/ports';
import { CliGit, initRepository, registeredWorktrees } from '@/server/git/cli-git';
import { demoRepositoryFiles } from '@/server/git/demo-repo';
import { runGit } from '@/server/git/run-git';
import { demoCheck } from '@/server/checks/demo-check';
import { CHECK_OUTPUT_LIMIT, CheckRunner } from '@/server/checks/check-runner';

const NODE = process.execPath;
const RIG = 'alpha';
const git = new CliGit();
const author = { name: 'polecat', email: 'polecat@localhost' };

let dir: string;
/** Where checks leave what they observed: writable by the user checks run as (spawner/sandbox.ts). */
let out: string;
let repo: string;
let initial: string;
let runner: CheckRunner;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gastown-checks-'));
  repo = path.join(dir, 'repo');
  out = path.join(dir, 'out');
  await mkdir(out);
  await chmod(out, 0o777);
  initial = await initRepository(repo, demoRepositoryFiles());
  runner = new CheckRunner({ scratchRoot: path.join(dir, 'scratch') });
});

afterEach(async () => {
  await runner.dispose(repo, RIG);
  await rm(dir, { recursive: true, force: true });
});

/** A check running `node -e <script> ...args`. */
function nodeCheck(name: string, script: string, args: string[] = [], timeoutMs = 10_000): CheckSpec {
  return { name, command: [NODE, '-e', script, ...args], timeoutMs };
}

const passing = (name: string) => nodeCheck(name, 'console.log("all good")');

/** Commits `files` on top of the repository's detached HEAD; returns the new commit. */
async function commitFiles(files: Record<string, string>, message: string): Promise<string> {
  for (const [relative, content] of Object.entries(files)) await writeFile(path.join(repo, relative), content);
  const head = await git.commitAll(repo, message, author);
  if (!head) throw new Error('expected a commit');
  return head;
}

function validate(commit: string, checks: CheckSpec[], slot = 0, signal?: AbortSignal) {
  return runner.validate({ repo, rig: RIG, slot, commit, checks, signal });
}

/** True while `pid` is a live (not zombie) process. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

describe('CheckRunner', () => {
  it('passes when every check exits 0', async () => {
    const result = await validate(initial, [passing('lint'), passing('test')]);
    expect(result).toMatchObject({ ok: true, failedCheck: null, output: '' });
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('returns ok without touching git when there are no checks', async () => {
    const result = await runner.validate({
      repo: path.join(dir, 'no-such-repo'),
      rig: RIG,
      slot: 0,
      commit: initial,
      checks: [],
    });
    expect(result).toEqual({ ok: true, failedCheck: null, output: '', durationMs: 0, runs: [] });
    expect(existsSync(path.join(dir, 'scratch'))).toBe(false);
  });

  it("reports the failing check's name and output and skips the rest when one exits 1", async () => {
    const thirdRan = path.join(out, 'third-ran');
    const result = await validate(initial, [
      passing('build'),
      nodeCheck('lint', 'console.log("src/a.ts: 3 problems"); console.error("lint failed"); process.exit(1)'),
      nodeCheck('test', 'require("fs").writeFileSync(process.argv[1], "")', [thirdRan]),
    ]);
    expect(result.ok).toBe(false);
    expect(result.failedCheck).toBe('lint');
    expect(result.output).toContain('src/a.ts: 3 problems');
    expect(result.output).toContain('lint failed');
    expect(result.output).toContain("check 'lint' exited with code 1");
    expect(existsSync(thirdRan)).toBe(false);
  });

  it('fails with a timeout message, cut at the timeout and not run to its end, when a check sleeps past it', async () => {
    // The check starts a grandchild: the whole process group must die with it.
    const script = `
      const child = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'inherit' });
      console.log('grandchild ' + child.pid);
      setTimeout(() => {}, 30000);`;
    const started = performance.now();
    const result = await validate(initial, [nodeCheck('slow', script, [], 400)]);
    const elapsed = performance.now() - started;
    expect(result.ok).toBe(false);
    expect(result.failedCheck).toBe('slow');
    expect(result.output).toContain("check 'slow' timed out after 400 ms");
    expect(elapsed).toBeGreaterThanOrEqual(400);
    // Cut, not waited for: the check would sleep 30 s (a bound that a loaded machine cannot break).
    expect(elapsed).toBeLessThan(15_000);
    const grandchild = Number(/grandchild (\d+)/.exec(result.output)?.[1]);
    expect(grandchild).toBeGreaterThan(0);
    if (existsSync('/proc')) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(alive(grandchild)).toBe(false);
    }
  });

  it('fails with a clear message instead of throwing when the program does not exist', async () => {
    const result = await validate(initial, [
      { name: 'missing', command: ['gt-no-such-program-xyz', '--check'], timeoutMs: 5_000 },
    ]);
    expect(result.ok).toBe(false);
    expect(result.failedCheck).toBe('missing');
    expect(result.output).toContain("check 'missing' could not start: program not found: gt-no-such-program-xyz");
  });

  it('kills the running check and rejects with AbortError when the signal aborts', async () => {
    const pidFile = path.join(out, 'check.pid');
    const script = 'require("fs").writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, 30000)';
    const controller = new AbortController();
    const run = validate(initial, [nodeCheck('hang', script, [pidFile], 60_000)], 0, controller.signal);
    run.catch(() => undefined);
    // Abort only once the check is really running (node can take a while to start).
    let pid = 0;
    while (!(pid > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      pid = existsSync(pidFile) ? Number(await readFile(pidFile, 'utf8')) : 0;
    }
    const aborted = performance.now();
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - aborted).toBeLessThan(500);
    if (existsSync('/proc')) expect(alive(pid)).toBe(false);
  });

  it('rejects with AbortError before running anything when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(validate(initial, [passing('lint')], 0, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects a queued validation with AbortError at once when it is aborted while the slot is busy', async () => {
    const busy = validate(initial, [{ name: 'sleep', command: ['sleep', '0.6'], timeoutMs: 10_000 }], 0);
    const controller = new AbortController();
    const queued = validate(initial, [passing('never')], 0, controller.signal);
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(400);
    expect((await busy).ok).toBe(true);
  });

  it('fails the demo check when the commit contains the marker and passes when it does not', async () => {
    const broken = await commitFiles({ 'broken.ts': 'export const x = 1;\n// GT_CHECK_FAIL simulated break\n' }, 'broken change');
    const demo = demoCheck(50);

    const failed = await validate(broken, [demo]);
    expect(failed.ok).toBe(false);
    expect(failed.failedCheck).toBe('checks');
    expect(failed.output).toContain('broken.ts:2:');

    const passed = await validate(initial, [demo]);
    expect(passed).toMatchObject({ ok: true, failedCheck: null });
  });

  it('prepares the scratch worktrees of every slot ahead of validations, once', async () => {
    const scratch = (slot: number) => runner.scratchPath(RIG, slot);
    await runner.prepare({ repo, rig: RIG, slots: 3, commit: 'refs/heads/main' });
    const registered = await registeredWorktrees(repo);
    for (const slot of [0, 1, 2]) expect(registered).toContain(scratch(slot));
    expect(registered).not.toContain(scratch(3));

    // Prepared again (a restart, a scale from 3 to 4): existing slots are kept as they are.
    await writeFile(path.join(scratch(1), 'left-by-a-check.txt'), 'x');
    await runner.prepare({ repo, rig: RIG, slots: 4, commit: 'refs/heads/main' });
    expect(existsSync(path.join(scratch(1), 'left-by-a-check.txt'))).toBe(true);
    expect(await registeredWorktrees(repo)).toContain(scratch(3));

    // A validation in a prepared slot still starts from a clean checkout of its commit.
    const broken = await commitFiles({ 'broken.ts': '// GT_CHECK_' + 'FAIL\n' }, 'broken change');
    expect((await validate(broken, [demoCheck(0)], 1)).ok).toBe(false);
    expect(existsSync(path.join(scratch(1), 'left-by-a-check.txt'))).toBe(false);
    expect(await validate(initial, [demoCheck(0)], 1)).toMatchObject({ ok: true });
  });

  it('runs validations in parallel when their slots differ and serially when they share one', async () => {
    // `sleep` rather than node: node's start-up time would dominate what we measure.
    const sleep = (seconds: string): CheckSpec[] => [{ name: 'sleep', command: ['sleep', seconds], timeoutMs: 10_000 }];
    // Warm up: create both scratch worktrees, so the timings below measure the checks.
    await Promise.all([validate(initial, sleep('0'), 0), validate(initial, sleep('0'), 1)]);

    let started = performance.now();
    const results = await Promise.all([validate(initial, sleep('0.5'), 0), validate(initial, sleep('0.5'), 1)]);
    const parallel = performance.now() - started;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(parallel).toBeLessThan(800);

    started = performance.now();
    await Promise.all([validate(initial, sleep('0.3'), 0), validate(initial, sleep('0.3'), 0)]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('checks out exactly the requested commit when a previous run left files behind', async () => {
    const next = await commitFiles({ '.gitignore': '*.log\n', 'added.txt': 'new file\n' }, 'add files');
    const observed = path.join(out, 'observed.json');
    const observe = nodeCheck(
      'observe',
      `const { execFileSync } = require('child_process');
       const fs = require('fs');
       const git = (...args) => execFileSync('git', args, { encoding: 'utf8' }).trim();
       fs.writeFileSync(process.argv[1], JSON.stringify({
         head: git('rev-parse', 'HEAD'),
         status: git('status', '--porcelain', '--ignored'),
         commitEnv: process.env.GT_CHECK_COMMIT,
         oldCommitEnv: process.env.GT_GATE_COMMIT,
         rigEnv: process.env.GT_RIG,
         files: ['added.txt', 'leftover.txt', 'build.log'].filter((f) => fs.existsSync(f)),
       }));`,
      [observed],
    );
    const litter = nodeCheck(
      'litter',
      `const fs = require('fs');
       fs.writeFileSync('leftover.txt', 'untracked');
       fs.writeFileSync('build.log', 'ignored');
       fs.appendFileSync('README.md', 'modified');`,
    );
    const look = async () => JSON.parse(await readFile(observed, 'utf8'));

    expect((await validate(next, [litter])).ok).toBe(true);
    expect((await validate(initial, [observe])).ok).toBe(true);
    expect(await look()).toEqual({
      head: initial,
      status: '',
      commitEnv: initial,
      oldCommitEnv: initial,
      rigEnv: RIG,
      files: [],
    });

    expect((await validate(next, [litter])).ok).toBe(true);
    expect((await validate(next, [observe])).ok).toBe(true);
    expect(await look()).toEqual({
      head: next,
      status: '',
      commitEnv: next,
      oldCommitEnv: next,
      rigEnv: RIG,
      files: ['added.txt'],
    });
  });

  it('restores a tracked file a check rewrote with the same size and its old mtime', async () => {
    // The scratch tree is handed to the checks' user before each run; the index must still
    // notice an edit that leaves only content behind, or the next check runs on the edit.
    const forge = nodeCheck(
      'forge',
      `const fs = require('fs');
       const before = fs.statSync('README.md');
       const text = fs.readFileSync('README.md', 'utf8');
       fs.writeFileSync('README.md', 'X'.repeat(Buffer.byteLength(text)));
       fs.utimesSync('README.md', before.atime, before.mtime);`,
    );
    const readme = path.join(out, 'readme.txt');
    const copy = nodeCheck('copy', `require('fs').copyFileSync('README.md', process.argv[1])`, [readme]);

    expect((await validate(initial, [forge])).ok).toBe(true);
    expect((await validate(initial, [copy])).ok).toBe(true);
    expect(await readFile(readme, 'utf8')).toBe(await readFile(path.join(repo, 'README.md'), 'utf8'));
  });

  it("recreates the scratch checkout when a killed check left git's index lock behind", async () => {
    expect((await validate(initial, [passing('first')])).ok).toBe(true);
    const scratch = runner.scratchPath(RIG, 0);
    const { stdout } = await runGit(['rev-parse', '--absolute-git-dir'], { cwd: scratch });
    await writeFile(path.join(stdout.trim(), 'index.lock'), '');
    const next = await commitFiles({ 'added.txt': 'new file\n' }, 'add a file');
    const check = nodeCheck('check', 'process.exitCode = require("fs").existsSync("added.txt") ? 0 : 1');
    expect(await validate(next, [check])).toMatchObject({ ok: true, failedCheck: null });
  });

  it('fails with a clear message instead of throwing when an argument holds a NUL byte', async () => {
    const result = await validate(initial, [nodeCheck('nul', 'console.log(1)', ['a\0b'])]);
    expect(result.ok).toBe(false);
    expect(result.failedCheck).toBe('nul');
    expect(result.output).toMatch(/check 'nul' could not start: .*null bytes/);
  });

  it('passes arguments to the program as literal argv when they hold shell syntax', async () => {
    const hostile = ["'; rm -rf / #", '$(whoami)', '`id`', 'line one\nline two', '"quoted" && echo pwned', '*', '|| true', ''];
    const echo = nodeCheck('echo', 'process.stdout.write(JSON.stringify(process.argv.slice(1))); process.exitCode = 1', hostile);
    const result = await validate(initial, [echo]);
    expect(result.failedCheck).toBe('echo');
    expect(JSON.parse(result.output.split('\n')[0])).toEqual(hostile);
  });

  it('keeps only the tail of the output when a check prints a lot', async () => {
    const loud = nodeCheck(
      'loud',
      'for (let i = 0; i < 5000; i++) console.log("line " + i + " " + "x".repeat(40)); process.exitCode = 3',
    );
    const result = await validate(initial, [loud]);
    expect(result.failedCheck).toBe('loud');
    expect(Buffer.byteLength(result.output)).toBeLessThan(CHECK_OUTPUT_LIMIT + 100);
    expect(result.output).toContain('line 4999 ');
    expect(result.output).not.toContain('line 0 ');
    expect(result.output).toMatch(/bytes omitted/);
    expect(result.output.trimEnd().endsWith("check 'loud' exited with code 3")).toBe(true);
  });

  it("removes the rig's scratch worktrees when disposed", async () => {
    await Promise.all([validate(initial, [passing('a')], 0), validate(initial, [passing('a')], 2)]);
    expect(await registeredWorktrees(repo)).toHaveLength(3);
    await runner.dispose(repo, RIG);
    expect(await registeredWorktrees(repo)).toHaveLength(1);
    expect(existsSync(path.join(dir, 'scratch', RIG))).toBe(false);
    await runner.dispose(repo, RIG);
    // A disposed slot is recreated on demand.
    expect((await validate(initial, [passing('a')], 0)).ok).toBe(true);
    const { stdout } = await runGit(['worktree', 'list', '--porcelain'], { cwd: repo });
    expect(stdout).toContain(path.join('scratch', RIG, 'slot-0'));
  });
});

/**
 * A setup step like `npm ci`: records each run in `<out>/setup-runs` and "installs" an
 * ignored node_modules/ holding the lockfile it installed from. It fails when the
 * lockfile says so, as npm does on a broken one.
 */
const SETUP_SCRIPT = `
  const fs = require('fs');
  const lock = fs.readFileSync('package-lock.json', 'utf8');
  fs.appendFileSync(process.argv[1] + '/setup-runs', lock.trim() + '\\n');
  if (lock.includes('broken')) { console.error('npm ERR! lockfile is broken'); process.exit(1); }
  fs.mkdirSync('node_modules', { recursive: true });
  fs.writeFileSync('node_modules/.installed', lock);
  console.log('added 1 package');`;

/** A check that needs what the setup installed, for the lockfile at this commit. */
const usesDeps = nodeCheck(
  'test',
  `const fs = require('fs');
   if (fs.readFileSync('node_modules/.installed', 'utf8') !== fs.readFileSync('package-lock.json', 'utf8')) process.exit(3);
   console.log('1 test passed');`,
);

describe('CheckRunner with a setup step', () => {
  const setup = () => ({ command: [NODE, '-e', SETUP_SCRIPT, out], timeoutMs: 20_000, inputs: ['package-lock.json'] });
  const setupRuns = async () =>
    (await readFile(path.join(out, 'setup-runs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  let withLock: string;

  beforeEach(async () => {
    withLock = await commitFiles({ '.gitignore': 'node_modules/\n', 'package-lock.json': 'lock v1\n' }, 'Add a lockfile');
  });

  it('runs on first use, not again while the lockfile is unchanged, and again when it changes', async () => {
    const first = await runner.validate({ repo, rig: RIG, slot: 0, commit: withLock, checks: [usesDeps], setup: setup() });
    expect(first.ok).toBe(true);
    expect(first.runs?.map((r) => [r.kind, r.name, r.exitCode])).toEqual([
      ['setup', 'setup', 0],
      ['check', 'test', 0],
    ]);
    expect(first.runs?.[0].output).toContain('added 1 package');
    expect(await setupRuns()).toEqual(['lock v1']);

    // Another commit that leaves the lockfile alone: the installed tree is kept and reused.
    const other = await commitFiles({ 'core/extra.ts': 'export const extra = 1;\n' }, 'Touch code only');
    const second = await runner.validate({ repo, rig: RIG, slot: 0, commit: other, checks: [usesDeps], setup: setup() });
    expect(second.ok).toBe(true);
    expect(second.runs?.map((r) => r.name)).toEqual(['test']);
    expect(await setupRuns()).toEqual(['lock v1']);

    // The lockfile changes: the setup runs again, and the check sees the new install.
    const bumped = await commitFiles({ 'package-lock.json': 'lock v2\n' }, 'Bump a dependency');
    const third = await runner.validate({ repo, rig: RIG, slot: 0, commit: bumped, checks: [usesDeps], setup: setup() });
    expect(third.ok).toBe(true);
    expect(third.runs?.map((r) => r.name)).toEqual(['setup', 'test']);
    expect(await setupRuns()).toEqual(['lock v1', 'lock v2']);

    // Going back to the older lockfile is a change too.
    const back = await runner.validate({ repo, rig: RIG, slot: 0, commit: other, checks: [usesDeps], setup: setup() });
    expect(back.ok).toBe(true);
    expect(await setupRuns()).toEqual(['lock v1', 'lock v2', 'lock v1']);
  });

  it('runs when the scratch worktree is prepared, and the first validation reuses it', async () => {
    await runner.prepare({ repo, rig: RIG, slots: 2, commit: withLock, setup: setup() });
    expect(await setupRuns()).toEqual(['lock v1', 'lock v1']);
    const result = await runner.validate({ repo, rig: RIG, slot: 1, commit: withLock, checks: [usesDeps], setup: setup() });
    expect(result).toMatchObject({ ok: true });
    expect(result.runs?.map((r) => r.name)).toEqual(['test']);
    expect(await setupRuns()).toHaveLength(2);
  });

  it('fails the validation with the reason when the setup fails, runs no check, and tries it again next time', async () => {
    const broken = await commitFiles({ 'package-lock.json': 'lock broken\n' }, 'Break the lockfile');
    const check = nodeCheck('test', `require('fs').writeFileSync(${JSON.stringify(path.join(out, 'check-ran'))}, 'yes')`);
    const result = await runner.validate({ repo, rig: RIG, slot: 0, commit: broken, checks: [check], setup: setup() });
    expect(result.ok).toBe(false);
    expect(result.failedCheck).toBe('setup');
    expect(result.output).toContain('npm ERR! lockfile is broken');
    expect(result.output).toMatch(/setup '.*' failed: exited with code 1/);
    expect(result.runs).toHaveLength(1);
    expect(result.runs?.[0]).toMatchObject({ kind: 'setup', ok: false, exitCode: 1 });
    expect(existsSync(path.join(out, 'check-ran'))).toBe(false);

    // Not remembered as done: the same commit runs it again (and fails again).
    const again = await runner.validate({ repo, rig: RIG, slot: 0, commit: broken, checks: [check], setup: setup() });
    expect(again.failedCheck).toBe('setup');
    expect(await setupRuns()).toEqual(['lock broken', 'lock broken']);
  });

  it('names a setup that cannot start by its command', async () => {
    const missing = { command: ['gt-no-such-installer', 'ci'], timeoutMs: 5_000, inputs: ['package-lock.json'] };
    const result = await runner.validate({
      repo,
      rig: RIG,
      slot: 0,
      commit: withLock,
      checks: [passing('lint')],
      setup: missing,
    });
    expect(result.output).toContain(
      "setup 'gt-no-such-installer ci' failed: could not start: program not found: gt-no-such-installer",
    );
    expect(result.runs?.[0]).toMatchObject({ kind: 'setup', ok: false, exitCode: null });
  });
});

describe('what a validation records of each check', () => {
  it('keeps the exit status, duration and output tail of every check, passing ones too', async () => {
    const result = await validate(initial, [
      nodeCheck('lint', 'console.log("lint: 0 problems")'),
      nodeCheck('test', 'console.log("12 passed"); console.error("1 failed: totals"); process.exit(3)'),
      passing('never-reached'),
    ]);
    expect(result.ok).toBe(false);
    expect(result.runs?.map(({ name, kind, ok, exitCode, failure }) => ({ name, kind, ok, exitCode, failure }))).toEqual([
      { name: 'lint', kind: 'check', ok: true, exitCode: 0, failure: null },
      { name: 'test', kind: 'check', ok: false, exitCode: 3, failure: "check 'test' exited with code 3" },
    ]);
    expect(result.runs?.[0].output).toContain('lint: 0 problems');
    expect(result.runs?.[1].output).toContain('1 failed: totals');
    for (const run of result.runs ?? []) expect(run.durationMs).toBeGreaterThan(0);
    expect(result.runs?.[0].command).toEqual([NODE, '-e', 'console.log("lint: 0 problems")']);
  });
});
