/**
 * Crash safety of the real server: the demo town runs in `node --import tsx server/main.ts` on a data
 * directory that outlives it, and its whole process group is SIGKILLed over and over at
 * random points (during start-up and reconciliation, mid-validation, and right after the
 * Refinery moved the target ref, before or while the database hears of it), then started
 * again on the same directory. Finally it is stopped gracefully and what survived is
 * checked against the Refinery's promises:
 *
 *   1. `git fsck` is clean;
 *   2. no merge request (and no bead) landed twice on the target;
 *   3. every 'merged' row's merge commit is on the target's first-parent line, and every
 *      merge on the target belongs to a 'merged' row (nothing landed and forgotten);
 *   4. after the graceful stop no row is half-landed, and reopening the town (the real
 *      reconcile, in-process on a copy of the database) leaves no row 'merging';
 *   5. the beads marked done are exactly the beads whose merge landed;
 *   6. the target never holds an unvalidated change (no broken-change marker on any
 *      first-parent commit; with speculative landing this plus 2-3 rules out a partial batch);
 *   7. no git lock file a killed git process left behind survives the restarts (it would
 *      wedge a polecat's worktree or the target ref for good).
 *
 * A second real-server case kills the very first start while the demo town is seeded.
 * The in-process cases at the end pin down, deterministically, the windows between two
 * writes of one engine step that the random kills hit only now and then.
 *
 * The kill plan comes from a seeded PRNG printed at the start; replay it with
 * GT_CRASH_SEED=<seed> (the moments still depend on real timing). GT_CRASH_KILLS sets the
 * number of kills, GT_CRASH_NEXT_MODE=development|production forces the Next mode.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ScriptedAgentRuntime } from '../../server/agents/scripted-agent';
import { VirtualClock } from '../../server/engine/clock';
import type { Bead, MergeRequest } from '../../contracts/records';
import type { AgentRuntime } from '../../server/engine/ports';
import { createEngine } from '../../server/engine/assembly';
import type { Town } from '../../server/engine/town';
import { CliGit } from '../../server/git/cli-git';
import { CHECK_FAIL_MARKER } from '../../server/checks/demo-check';
import { CheckRunner } from '../../server/checks/check-runner';
import { runGit } from '../../server/git/run-git';
import { migrateDatabase } from '../../server/store/migrate';
import { PrismaStore } from '../../server/store/prisma-store';
import { openSqlitePrisma } from '../../server/store/sqlite';
import {
  errorLines,
  firstParentHistory,
  git,
  readDatabase,
  readRefFast,
  seeded,
  sleep,
  staleGitLocks,
  startServerProcess,
  type MainCommit,
  type ServerRun,
  type Snapshot,
} from '../support/crash-server';
import { crashPoint, type CrashPoint } from '../support/crash-point';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const SEED = Number(process.env.GT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = Number(process.env.GT_CRASH_KILLS ?? 10);
const TIME_SCALE = '20';
const REFINERY_WORKERS = 3;
const ENGINE_START_TIMEOUT_MS = 90_000;
/** The operator token the test's servers run with, so the test may use the command API. */
const OPERATOR_TOKEN = 'crash-test-operator-token';

type KillKind = 'startup' | 'random' | 'on-land';

interface KillRecord {
  run: number;
  kind: KillKind;
  detail: string;
  aliveMs: number;
  tipMoves: number;
  mergesOnMain: number;
  /** Rows 'merging' whose recorded intent is already on the target: died between the ref update and the database write. */
  landedUnrecorded: number;
  /** Rows newly 'merged' whose bead is not 'done': died in the middle of recording a landing. */
  halfRecorded: number;
}

function log(message: string): void {
  console.log(`[crash] ${message}`);
}

function nextMode(): Record<string, string> {
  const mode = process.env.GT_CRASH_NEXT_MODE;
  return mode === 'production' || mode === 'development' ? { NODE_ENV: mode } : {};
}

/** The error for a run that exited without our signal, telling a Next.js start-up problem from an engine one. */
async function diedOnItsOwn(run: ServerRun, when: string): Promise<Error> {
  const how = await run.exited;
  const output = run.output();
  const environment = /Another .*next dev.* server is already running|production build|BUILD_ID|ENOENT.*\.next/i.test(output)
    ? ' (Next.js could not start in the shared checkout: an environment problem, not an engine one; see GT_CRASH_NEXT_MODE)'
    : '';
  return new Error(`server run ${run.index} exited ${when} (code ${how.code}, signal ${how.signal})${environment}:\n${output}`);
}

/** Polls the database until this run's engine has started (a new `town.started` event). */
async function waitForEngineStart(run: ServerRun, dbFile: string, startsBefore: number): Promise<void> {
  const deadline = Date.now() + ENGINE_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!run.isRunning()) throw await diedOnItsOwn(run, 'before its engine started');
    const snap = readDatabase(dbFile);
    if (snap && snap.townStarts > startsBefore) return;
    await sleep(50);
  }
  throw new Error(`server run ${run.index}: engine did not start within ${ENGINE_START_TIMEOUT_MS / 1000} s:\n${run.output()}`);
}

/** Waits until the target ref differs from `from` (polled every millisecond), or the run dies, or time is up. */
async function waitForTipChange(run: ServerRun, repo: string, from: string | null, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && run.isRunning()) {
    if (readRefFast(repo) !== from) return true;
    await sleep(1);
  }
  return false;
}

/** Counts ref moves while waiting `ms`. */
async function watchFor(run: ServerRun, repo: string, ms: number): Promise<number> {
  let moves = 0;
  let last = readRefFast(repo);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && run.isRunning()) {
    await sleep(5);
    const now = readRefFast(repo);
    if (now !== last) moves++;
    last = now;
  }
  return moves;
}

function mergingRowsLandedUnrecorded(snap: Snapshot, main: MainCommit[]): string[] {
  const onMain = new Set(main.map((c) => c.sha));
  return snap.mergeRequests
    .filter((mr) => mr.status === 'merging' && mr.mergeCommit && onMain.has(mr.mergeCommit))
    .map((mr) => mr.id);
}

function halfRecordedLandings(snap: Snapshot): string[] {
  const beadStatus = new Map(snap.beads.map((b) => [b.id, b.status]));
  return snap.mergeRequests.filter((mr) => mr.status === 'merged' && beadStatus.get(mr.beadId) !== 'done').map((mr) => mr.id);
}

/** Tries to scale the demo rig's Refinery through the operator API; says what happened (the route may be missing from a stale build). */
async function scaleRefinery(run: ServerRun, workers: number): Promise<string> {
  const deadline = Date.now() + 60_000;
  let url: string | null = null;
  while (Date.now() < deadline && run.isRunning() && !url) {
    url = /listening on (http:\/\/\S+)/.exec(run.output())?.[1] ?? null;
    if (!url) await sleep(100);
  }
  if (!url) return 'not scaled: the server did not start listening';
  try {
    const res = await fetch(`${url}/api/rigs/myproject/refinery/scale`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` },
      body: JSON.stringify({ workers }),
      signal: AbortSignal.timeout(60_000),
    });
    if (res.ok) return `scaled to ${workers} Refinery workers`;
    return `not scaled: POST .../refinery/scale answered ${res.status} (is the production build older than the route?)`;
  } catch (err) {
    return `not scaled: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Reopens the town in-process on a copy of the database: the real createEngine + reconcile. */
async function reconcileOnCopy(dbFile: string, scratch: string): Promise<{ merging: number; merged: string[] }> {
  await mkdir(scratch, { recursive: true });
  const copy = path.join(scratch, 'gastown.db');
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(dbFile + suffix)) await copyFile(dbFile + suffix, copy + suffix);
  }
  const store = new PrismaStore(await openSqlitePrisma(copy));
  try {
    const clock = new VirtualClock();
    const gitPort = new CliGit();
    const town = await createEngine({
      clock,
      git: gitPort,
      store,
      agents: new ScriptedAgentRuntime({ clock, git: gitPort }),
      checks: new CheckRunner({ scratchRoot: path.join(scratch, 'checks') }),
      workDir: scratch,
    });
    await town.settle();
    const merging = await store.listMergeRequests({ status: ['merging'], limit: 1_000 });
    const merged = await store.listMergeRequests({ status: ['merged'], limit: 1_000 });
    return { merging: merging.length, merged: merged.map((mr) => mr.id).sort() };
  } finally {
    await store.close();
  }
}

describe('the real server under repeated SIGKILL', () => {
  it('lands every merge request exactly once and keeps the repository sound', async () => {
    const rnd = seeded(SEED);
    log(`seed ${SEED}, ${KILLS} kills (replay the plan: GT_CRASH_SEED=${SEED} npx vitest run tests/integration/crash.test.ts)`);
    const root = await mkdtemp(path.join(os.tmpdir(), 'gastown-crash-'));
    const dataDir = path.join(root, 'data');
    const dbFile = path.join(dataDir, 'gastown.db');
    const repo = path.join(dataDir, 'rigs', 'myproject');
    const logFile = path.join(root, 'server.log');
    const env = { GT_DEMO: '1', GT_TIME_SCALE: TIME_SCALE, GT_OPERATOR_TOKEN: OPERATOR_TOKEN, ...nextMode() };
    const started = Date.now();
    onTestFinished(async ({ task }) => {
      if (task.result?.state === 'pass' && !process.env.GT_CRASH_KEEP) await rm(root, { recursive: true, force: true });
      else log(`kept ${root} (server output in ${logFile}, data in ${dataDir})`);
    });
    const kills: KillRecord[] = [];
    let runIndex = 0;
    let scaled = 'not tried';
    let current: ServerRun | null = null;
    const seenHalfRecorded = new Set<string>();

    try {
      // ---------------------------------------------------------------- kill loop
      for (let k = 0; k < KILLS; k++) {
        const startsBefore = readDatabase(dbFile)?.townStarts ?? 0;
        const run = startServerProcess({ index: runIndex++, dataDir, logFile, env });
        current = run;
        const spawnedAt = Date.now();
        // The first run must finish seeding the demo town (a crash during seeding is the separate case below).
        const roll = rnd.next();
        const kind: KillKind = k === 0 ? 'random' : roll < 0.15 ? 'startup' : roll < 0.55 ? 'random' : 'on-land';
        let detail = '';
        let tipMoves = 0;
        if (kind === 'startup') {
          const delay = rnd.between(300, 4_500);
          detail = `${Math.round(delay)} ms after spawn`;
          tipMoves = await watchFor(run, repo, delay);
        } else {
          await waitForEngineStart(run, dbFile, startsBefore);
          if (k === 0) scaled = await scaleRefinery(run, REFINERY_WORKERS);
          if (kind === 'random') {
            const delay = rnd.between(1_500, 6_000);
            detail = `${Math.round(delay)} ms after engine start`;
            tipMoves = await watchFor(run, repo, delay);
          } else {
            const extra = rnd.next() < 0.5 ? 0 : rnd.between(0, 25);
            const before = readRefFast(repo);
            const moved = await waitForTipChange(run, repo, before, 30_000);
            tipMoves = moved ? 1 : 0;
            if (extra > 0) await sleep(extra);
            detail = moved ? `${Math.round(extra)} ms after the target moved` : 'target did not move in 30 s';
          }
        }
        if (!run.isRunning()) throw await diedOnItsOwn(run, 'on its own before the kill');
        run.crash();
        const how = await run.exited;
        expect(how.signal, `run ${run.index} should die of our SIGKILL`).toBe('SIGKILL');
        const snap = readDatabase(dbFile);
        const main = existsSync(repo) ? await firstParentHistory(repo) : [];
        const record: KillRecord = {
          run: run.index,
          kind,
          detail,
          aliveMs: Date.now() - spawnedAt,
          tipMoves,
          mergesOnMain: main.filter((c) => c.mr).length,
          landedUnrecorded: snap ? mergingRowsLandedUnrecorded(snap, main).length : 0,
          halfRecorded: snap ? halfRecordedLandings(snap).filter((id) => !seenHalfRecorded.has(id)).length : 0,
        };
        kills.push(record);
        if (snap) for (const id of halfRecordedLandings(snap)) seenHalfRecorded.add(id);
        log(
          `kill ${k + 1}/${KILLS} [${kind}] ${detail}: alive ${(record.aliveMs / 1000).toFixed(1)} s, ` +
            `target moved ${tipMoves}x, merges on main ${record.mergesOnMain}, ` +
            `landed-but-unrecorded ${record.landedUnrecorded}, newly half-recorded ${record.halfRecorded}`,
        );
      }

      // ---------------------------------------------------------------- final run
      const startsBefore = readDatabase(dbFile)?.townStarts ?? 0;
      const mergesBefore = (await firstParentHistory(repo)).filter((c) => c.mr).length;
      const last = startServerProcess({ index: runIndex++, dataDir, logFile, env });
      current = last;
      await waitForEngineStart(last, dbFile, startsBefore);
      // Reconcile runs before the engine starts: no landing may still look unrecorded now.
      const unrecordedAfterReconcile = mergingRowsLandedUnrecorded(readDatabase(dbFile)!, await firstParentHistory(repo));
      // Liveness: the Refinery keeps landing after all those crashes.
      const progress = await waitForTipChange(last, repo, readRefFast(repo), 60_000);
      await sleep(3_000);
      const locks = await staleGitLocks(repo);
      const stop = await last.stop();
      const lastOutput = last.output();
      // Nothing runs git in this repository now: any lock file is one a SIGKILL left behind.
      const staleLocks = (await staleGitLocks(repo)).map((file) => path.relative(repo, file));

      // ---------------------------------------------------------------- what survived
      const snap = readDatabase(dbFile)!;
      const main = await firstParentHistory(repo);
      const merges = main.filter((c) => c.mr !== null);
      const mainIndex = new Map(main.map((c) => [c.sha, c]));
      const rows = new Map(snap.mergeRequests.map((mr) => [mr.id, mr]));
      const mergedRows = snap.mergeRequests.filter((mr) => mr.status === 'merged');
      const mrIds = merges.map((c) => c.mr!);
      const beadIds = merges.map((c) => c.bead!);
      const beadStatus = new Map(snap.beads.map((b) => [b.id, b.status]));
      const doneBeads = snap.beads.filter((b) => b.status === 'done').map((b) => b.id);
      const fsck = await git(repo, ['fsck', '--no-progress']);
      const marked = await git(repo, [
        'log',
        '--first-parent',
        '--diff-merges=first-parent',
        `-G${CHECK_FAIL_MARKER}`,
        '--format=%H %s',
        'main',
      ]);
      const reopened = await reconcileOnCopy(dbFile, path.join(root, 'reopen'));
      const rig = snap.rigs.find((r) => r.name === 'myproject');
      const stuck = snap.polecats.filter((p) => p.state === 'submitted' && p.beadId && beadStatus.get(p.beadId) === 'done');
      const landedNotDone = mergedRows.filter((mr) => beadStatus.get(mr.beadId) !== 'done');
      const errors = [...new Set(errorLines(await readFile(logFile, 'utf8')))];
      const byKind = (kind: KillKind) => kills.filter((r) => r.kind === kind).length;
      const statusCounts = snap.mergeRequests.reduce<Record<string, number>>((acc, mr) => {
        acc[mr.status] = (acc[mr.status] ?? 0) + 1;
        return acc;
      }, {});
      log(
        [
          `summary (seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(0)} s):`,
          `  kills ${kills.length} (startup ${byKind('startup')}, random ${byKind('random')}, on-land ${byKind('on-land')}), ` +
            `restarts ${runIndex - 1}, graceful stop exit ${stop.code}${stop.forced ? ' (forced)' : ''}`,
          `  Refinery: ${scaled}; settings ${JSON.stringify({ workers: rig?.settings.refineryWorkers, mode: rig?.settings.mergeMode })}`,
          `  merges landed ${merges.length} (${merges.length - mergesBefore} after the last restart), distinct MRs ${new Set(mrIds).size}, ` +
            `distinct beads ${new Set(beadIds).size}, beads done ${doneBeads.length}`,
          `  kills that caught a landing unrecorded (ref moved, row still 'merging') ${kills.filter((r) => r.landedUnrecorded > 0).length}, ` +
            `half-recorded (row 'merged', bead not done) ${kills.filter((r) => r.halfRecorded > 0).length}`,
          `  MR rows: ${Object.entries(statusCounts)
            .map(([status, n]) => `${status} ${n}`)
            .join(', ')}; rig counter merged ${rig?.counters.merged}`,
          `  merged rows whose bead is not done: ${landedNotDone.map((mr) => `${mr.id} (${mr.beadId}: ${beadStatus.get(mr.beadId)})`).join(', ') || 'none'}`,
          `  polecats stuck 'submitted' on a done bead: ${stuck.map((p) => p.id).join(', ') || 'none'}`,
          `  git lock files left after the graceful stop: ${staleLocks.join(', ') || 'none'}`,
          `  server error lines: ${errors.length}${errors.length ? '\n    ' + errors.slice(0, 20).join('\n    ') : ''}`,
        ].join('\n'),
      );

      // ---------------------------------------------------------------- checks
      expect.soft(unrecordedAfterReconcile, 'rows still unrecorded after reconcile').toEqual([]);
      expect
        .soft(progress, `no merge landed within 60 s of the final restart; git locks: ${locks.join(', ') || 'none'}`)
        .toBe(true);
      expect.soft(stop.forced, 'graceful stop had to be forced').toBe(false);
      expect.soft(stop.code, `graceful stop exit code; output:\n${lastOutput}`).toBe(0);
      expect.soft(lastOutput).toContain('stopped cleanly');

      // 1. the object store is sound
      expect.soft(fsck.code, `git fsck:\n${fsck.stdout}${fsck.stderr}`).toBe(0);
      expect.soft(fsck.stderr + fsck.stdout, 'git fsck findings').not.toMatch(/^(error|fatal|missing|broken)/m);
      // The target's first-parent line is the initial commit, then only Refinery merges.
      expect.soft(main[0].parents, 'root commit').toEqual([]);
      for (const c of main.slice(1)) {
        expect.soft(c.mr, `not a Refinery merge on main: ${c.sha} ${c.subject}`).not.toBeNull();
        expect.soft(c.parents, `merge ${c.sha} has two parents`).toHaveLength(2);
      }

      // 2. nothing landed twice
      const dupes = (ids: string[]) => ids.filter((id, i) => ids.indexOf(id) !== i);
      expect.soft(dupes(mrIds), 'merge requests landed more than once').toEqual([]);
      expect.soft(dupes(beadIds), 'beads landed more than once (by different merge requests)').toEqual([]);

      // 3. merged rows <-> merges on main
      for (const mr of mergedRows) {
        const commit = mr.mergeCommit ? mainIndex.get(mr.mergeCommit) : undefined;
        expect.soft(commit, `${mr.id}'s merge commit ${mr.mergeCommit} is not on main's first-parent line`).toBeDefined();
        if (!commit) continue;
        expect.soft(commit.mr, `${commit.sha} lands ${mr.id}`).toBe(mr.id);
        expect.soft(commit.parents[1], `${mr.id}'s merge has the request's head as second parent`).toBe(mr.headSha);
        const ancestor = await git(repo, ['merge-base', '--is-ancestor', commit.sha, 'refs/heads/main']);
        expect.soft(ancestor.code, `${commit.sha} is an ancestor of main`).toBe(0);
      }
      for (const c of merges) {
        const row = rows.get(c.mr!);
        expect.soft(row, `merge ${c.sha} (${c.mr}) has no merge request row`).toBeDefined();
        expect.soft(row?.status, `${c.mr} landed as ${c.sha} but its row says '${row?.status}'`).toBe('merged');
        expect.soft(row?.mergeCommit, `${c.mr}'s recorded merge commit`).toBe(c.sha);
      }
      expect.soft(mergedRows.length, "rows 'merged' vs merges on main").toBe(merges.length);

      // 4. after the graceful stop nothing is half-landed; reopening leaves no row 'merging'
      for (const mr of snap.mergeRequests.filter((row) => row.status === 'merging')) {
        expect
          .soft(mr.mergeCommit !== null && mainIndex.has(mr.mergeCommit), `${mr.id} landed but is still 'merging'`)
          .toBe(false);
      }
      expect.soft(reopened.merging, "rows left 'merging' after reopening the town").toBe(0);
      expect
        .soft(
          stuck.map((p) => p.id),
          "polecats still 'submitted' on a bead that landed",
        )
        .toEqual([]);
      expect.soft(reopened.merged, 'reopening must not land or unland anything').toEqual(mergedRows.map((mr) => mr.id).sort());

      // 5. done beads are exactly the landed ones
      expect.soft(doneBeads.length, 'beads done vs distinct merge requests landed').toBe(new Set(mrIds).size);
      expect.soft([...doneBeads].sort(), 'beads done vs beads landed').toEqual([...new Set(beadIds)].sort());

      // 6. no unvalidated change on the target
      expect.soft(marked.code).toBe(0);
      expect.soft(marked.stdout.trim(), 'a change the check rejects reached main').toBe('');

      // 7. what a SIGKILL leaves in git (lock files) does not wedge a polecat or the Refinery
      expect.soft(staleLocks, 'git lock files left behind by killed git processes, never cleared').toEqual([]);
      expect
        .soft(
          errors.filter((line) => /\.lock/.test(line)),
          'engine work failing on a stale git lock',
        )
        .toEqual([]);
      expect(main.length, 'merges landed at all').toBeGreaterThan(1);
    } finally {
      if (current?.isRunning()) current.crash();
    }
  }, 300_000);

  it("starts again after a crash during the demo town's first start", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'gastown-crash-seed-'));
    const dataDir = path.join(root, 'data');
    const logFile = path.join(root, 'server.log');
    const env = { GT_DEMO: '1', GT_TIME_SCALE: TIME_SCALE, GT_OPERATOR_TOKEN: OPERATOR_TOKEN, ...nextMode() };
    onTestFinished(async ({ task }) => {
      if (task.result?.state === 'pass' && !process.env.GT_CRASH_KEEP) await rm(root, { recursive: true, force: true });
      else log(`kept ${root} (server output in ${logFile})`);
    });
    // Kill the first start as soon as the demo repository exists: the rig is not saved yet.
    const first = startServerProcess({ index: 0, dataDir, logFile, env });
    const head = path.join(dataDir, 'rigs', 'myproject', '.git', 'HEAD');
    const deadline = Date.now() + ENGINE_START_TIMEOUT_MS;
    while (!existsSync(head) && first.isRunning() && Date.now() < deadline) await sleep(2);
    first.crash();
    await first.exited;
    expect(existsSync(head), 'the demo repository was being created').toBe(true);

    const second = startServerProcess({ index: 1, dataDir, logFile, env });
    try {
      await waitForEngineStart(second, path.join(dataDir, 'gastown.db'), 0);
      const snap = readDatabase(path.join(dataDir, 'gastown.db'))!;
      expect(snap.rigs.map((r) => r.name)).toEqual(['myproject']);
    } finally {
      await second.stop();
    }
  }, 180_000);
});

/** Opens a migrated SQLite store in a fresh temporary directory, removed when the test ends. */
async function freshSqliteStore(): Promise<{ file: string; store: PrismaStore }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-crash-db-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'gastown.db');
  await migrateDatabase(file);
  return { file, store: new PrismaStore(await openSqlitePrisma(file)) };
}

/**
 * Steps the first town until it "died", then waits for the calls it had running to
 * return: from here on it is abandoned, as a killed process would be, and touches
 * neither the database nor the repository.
 */
async function runUntilDead(h: Harness, town: Town, crash: CrashPoint): Promise<void> {
  for (let i = 0; i < 120 && !crash.dead(); i++) await h.clock.advance(1_000, () => crash.settle(town));
  expect(crash.dead(), 'the fatal write happened').toBe(true);
  await crash.quiet();
}

/**
 * What the random kills above hit only now and then, pinned down in-process on virtual
 * time: the town's store stops dead right after one chosen write, as if the process had
 * been killed there, and a second town opens the same database and carries on; or the
 * lock file a killed git process leaves behind is planted where it would be.
 */
describe('what a crash leaves behind, pinned down in-process', () => {
  it("completes a landed bead on restart when the crash came right after its request was saved 'merged'", async () => {
    const db = await freshSqliteStore();
    const git = new CliGit();
    const crash = crashPoint({
      store: db.store,
      git,
      storeDiesAfter: (method, args) => method === 'saveMergeRequest' && (args[0] as MergeRequest).status === 'merged',
    });
    const h = await createHarness({ store: crash.store, git: crash.git });
    onTestFinished(() => h.cleanup());
    const town1 = await h.open();
    await town1.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 10_000 } });
    await town1.polecats.add('myproject', 1);
    const bead = town1.beads.create({ rig: 'myproject', title: 'the one', paths: ['ui/'] });
    town1.start();
    await runUntilDead(h, town1, crash);

    const store2 = new PrismaStore(await openSqlitePrisma(db.file));
    try {
      const town2 = await h.open({ store: store2, git });
      town2.start();
      await runUntil(h.clock, town2, () => false, 120_000);
      await town2.stop();
      const { stdout } = await runGit(['log', '--first-parent', '--merges', '--format=%s', 'main'], { cwd: h.repoPath });
      const landings = stdout.split('\n').filter((subject) => subject.includes(`(${bead.id})`));
      const failedRuns = (await store2.listEvents({ types: ['agent.failed'], limit: 100 })).filter(
        (e) => e.data.type === 'agent.failed' && e.data.bead === bead.id,
      );
      expect.soft(landings, 'the bead landed exactly once').toHaveLength(1);
      expect.soft((await store2.getBead(bead.id))?.status, "the landed bead is 'done' after the restart").toBe('done');
      expect
        .soft(
          town2.beads.list().map((b) => b.id),
          'nobody works on a landed bead',
        )
        .not.toContain(bead.id);
      expect.soft(failedRuns.length, 'agent runs that failed on the landed bead after the restart').toBe(0);
    } finally {
      await store2.close();
      await db.store.close().catch(() => {});
    }
  }, 120_000);

  it("gives a bead to one polecat at a time when the crash came right after a failed agent's bead was saved 'open'", async () => {
    const db = await freshSqliteStore();
    // The agent fails: its bead goes back to the pool (saved 'open'), then its polecat is
    // released (saved 'idle'). Die between the two writes.
    let claimed = false;
    const git = new CliGit();
    const crash = crashPoint({
      store: db.store,
      git,
      storeDiesAfter: (method, args) => {
        if (method !== 'saveBead') return false;
        const status = (args[0] as Bead).status;
        if (status === 'in_progress') claimed = true;
        return claimed && status === 'open';
      },
    });
    const h = await createHarness({ store: crash.store, git: crash.git });
    onTestFinished(() => h.cleanup());
    // An agent that gives up after 5 s of engine time.
    const failing: AgentRuntime = {
      start: () => ({
        done: new Promise((resolve) => h.clock.setTimer(5_000, () => resolve({ kind: 'failed', reason: 'the agent crashed' }))),
        cancel() {},
        alive: () => true,
        nudge() {},
      }),
    };
    const town1 = await createEngine({
      clock: h.clock,
      git: crash.git,
      store: crash.store,
      agents: failing,
      checks: new CheckRunner({ scratchRoot: path.join(h.dir, 'scratch') }),
      workDir: h.dir,
    });
    await town1.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 10_000 } });
    await town1.polecats.add('myproject', 1);
    const bead = town1.beads.create({ rig: 'myproject', title: 'the one', paths: ['ui/'] });
    town1.start();
    await runUntilDead(h, town1, crash);

    const store2 = new PrismaStore(await openSqlitePrisma(db.file));
    try {
      const town2 = await h.open({ store: store2, git });
      await town2.polecats.add('myproject', 1); // an idle polecat the Mayor can hand the bead to
      town2.start();
      let worst = 0;
      await runUntil(
        h.clock,
        town2,
        () => {
          const holders = town2.polecats.list('myproject').filter((p) => p.beadId === bead.id).length;
          worst = Math.max(worst, holders);
          return worst > 1;
        },
        30_000,
      );
      await town2.stop();
      expect(worst, `polecats holding ${bead.id} at once after the restart`).toBeLessThanOrEqual(1);
    } finally {
      await store2.close();
      await db.store.close().catch(() => {});
    }
  }, 120_000);

  it("clears a lock file that a killed git left in a polecat's worktree instead of wedging the polecat", async () => {
    const h = await createHarness();
    onTestFinished(() => h.cleanup());
    const town1 = await h.open();
    await town1.rigs.add({ name: 'myproject', repoPath: h.repoPath, settings: { agentWorkMs: 10_000 } });
    const [polecat] = await town1.polecats.add('myproject', 1);
    await town1.stop();
    // What `git reset --hard` or `git commit` killed mid-way leaves in the worktree's git dir.
    const { stdout } = await runGit(['rev-parse', '--git-dir'], { cwd: polecat.worktreePath });
    await writeFile(path.resolve(polecat.worktreePath, stdout.trim(), 'index.lock'), '');

    const town2 = await h.open();
    const bead = town2.beads.create({ rig: 'myproject', title: 'after the crash', paths: ['ui/'] });
    town2.start();
    await runUntil(h.clock, town2, () => !town2.beads.get(bead.id), 600_000);
    await town2.stop();
    expect(town2.beads.get(bead.id)?.status ?? 'done', `${polecat.id}'s bead after 10 min`).toBe('done');
  }, 120_000);
});
