/**
 * `npm run bench`: benchmarks on real git repositories in temporary directories, printed
 * side by side in one run with the peak resident memory. Results are recorded in
 * docs/benchmarks.md with the date and machine. `npm run bench -- page-timing` (or any
 * names of BENCHES) runs only those.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { conflictScaling } from './conflict-scaling';
import { mergePath, type MergePathRow } from './merge-path';
import { refineryWorkers, speculativeTheory, type WorkersRow } from './refinery-workers';
import { MARKER } from './support';
import { printRealtimeLatency } from './realtime-latency';
import { printClusterRealtime } from './cluster-realtime';
import { printClusterBench } from './cluster-failover';
import { printLabBench } from './lab';
import { printPageTiming } from './page-timing';
import { printBeadsImport } from './beads-import';
import { printBodyLimit } from './body-limit';
import { printStoreWrites } from './store-writes';
import { printHistoryLab } from './history-lab';
import { printPreviews } from './previews';

const SEED_CONFLICT_RATE: Record<number, string> = { 5: '~10%', 15: '~30%', 30: '~50%+' };

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

function header(): void {
  const git = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim();
  const cpus = os.cpus();
  console.log(`date: ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `${os.platform()} ${os.release()}, Node ${process.version}, ${git}`,
  );
  // The spawner (server/spawner) moves every fork off the loop; the figures depend on it.
  console.log(`processes: ${process.env.GT_SPAWNER === 'off' ? 'spawned directly (GT_SPAWNER=off)' : 'through the spawner'}`);
  console.log(`git pipes: ${process.env.GT_GIT_PIPES === '0' ? 'off (GT_GIT_PIPES=0)' : 'on (server/git/git-pipes.ts)'}`);
  console.log(`load average at start (1/5/15 min): ${load()}\n`);
}

async function conflictTable(): Promise<void> {
  console.log('Conflict rate against polecats on one rig (real git, scripted agents, virtual time)\n');
  console.log('polecats  beads  attempts  conflicts  conflict rate  seed says  escalated  merge path p50  virtual h  wall s');
  for (const polecats of [5, 15, 30]) {
    const r = await conflictScaling(polecats);
    console.log(
      [
        String(r.polecats).padStart(8),
        String(r.beads).padStart(6),
        String(r.attempts).padStart(9),
        String(r.conflicts).padStart(10),
        `${(r.conflictRate * 100).toFixed(1)}% (n=${r.attempts})`.padStart(14),
        SEED_CONFLICT_RATE[polecats].padStart(10),
        String(r.escalated).padStart(10),
        `${r.mergePathP50Ms.toFixed(1)} ms`.padStart(15),
        r.virtualHours.toFixed(1).padStart(10),
        r.wallSeconds.toFixed(1).padStart(7),
      ].join(' '),
    );
  }
}

async function mergePathTables(): Promise<void> {
  console.log('\nMerge path: ms per landed branch (real git; methods take turns, median of 6 rounds of 8)\n');
  console.log(
    '  files  spawn  floor  pipe floor  refinery  checkout+rebase  refinery/floor  refinery/pipe floor' +
      '  rebase/refinery  mr.merged mergeMs p50  processes/landing',
  );
  const rows: MergePathRow[] = [];
  for (const files of [500, 5_000, 20_000]) {
    const r = await mergePath(files);
    rows.push(r);
    console.log(
      [
        files.toLocaleString('en-US').padStart(7),
        f1(r.spawnMs).padStart(6),
        f1(r.floorMs).padStart(6),
        f1(r.pipeFloorMs).padStart(11),
        f1(r.refineryMs).padStart(9),
        f1(r.rebaseMs).padStart(16),
        `${f2(r.refineryMs / r.floorMs)}x`.padStart(15),
        `${f2(r.refineryMs / r.pipeFloorMs)}x`.padStart(20),
        `${f1(r.rebaseMs / r.refineryMs)}x`.padStart(16),
        f1(r.refineryEventMsP50).padStart(23),
        `${f2(r.refineryProcessesPerLanding)} (${f2(r.refineryProcessesPerLandingWithOpen)} with open)`.padStart(18),
      ].join(' '),
    );
  }

  console.log('\nWhere the time goes, per landed branch: calls x mean ms (total ms)\n');
  for (const r of rows) {
    const calls = (m: Record<string, { perMerge: number; ms: number }>) =>
      Object.entries(m)
        .map(([name, c]) => `${name} ${f1(c.perMerge)}x ${f1(c.ms / Math.max(c.perMerge, 1e-9))} (${f1(c.ms)})`)
        .join(', ');
    const steps = (m: Record<string, number>) =>
      Object.entries(m)
        .map(([name, ms]) => `${name} ${f1(ms)}`)
        .join(', ');
    const gitMs = Object.values(r.refineryGit).reduce((a, c) => a + c.ms, 0);
    const storeMs = Object.values(r.refineryStore).reduce((a, c) => a + c.ms, 0);
    console.log(`${r.files.toLocaleString('en-US')} files`);
    console.log(`  floor:            ${steps(r.floorSteps)}`);
    console.log(`  pipe floor:       ${steps(r.pipeFloorSteps)}`);
    console.log(`  refinery git:     ${calls(r.refineryGit)}`);
    console.log(`  refinery store:   ${calls(r.refineryStore)}`);
    console.log(
      `  refinery:         git ${f1(gitMs)} + store ${f1(storeMs)} + engine/event loop ${f1(r.refineryMeanMs - gitMs - storeMs)}` +
        ` = ${f1(r.refineryMeanMs)} ms (mean of all rounds)`,
    );
    console.log(`  checkout+rebase:  ${steps(r.rebaseSteps)}`);
  }
  const within04x = rows.every((r) => r.refineryMs <= 0.4 * r.floorMs);
  const at5k = rows.find((r) => r.files === 5_000)!;
  console.log(
    `\ntarget: refinery at or below 0.4x of the three-process floor at every size: ${verdict(within04x)} ` +
      `(${rows.map((r) => `${f2(r.refineryMs / r.floorMs)}x`).join(', ')})`,
  );
  const steadyProcesses = rows.every((r) => r.refineryProcessesPerLanding < 0.01);
  console.log(
    `target: under one process started per 100 landings in steady state: ${verdict(steadyProcesses)} ` +
      `(${rows.map((r) => f2(r.refineryProcessesPerLanding)).join(', ')} per landing; landing order checked every round)`,
  );
  console.log(
    `target: refinery >= 5x faster than checkout-and-rebase at 5,000 files: ` +
      `${verdict(at5k.rebaseMs >= 5 * at5k.refineryMs)} (${f1(at5k.rebaseMs / at5k.refineryMs)}x)`,
  );
}

interface WorkersRun {
  label: string;
  r: WorkersRow;
  theory: number;
  /** Throughput relative to 1 worker with the same kind of check. */
  ratio: number;
}

function workersRow({ label, r, theory, ratio }: WorkersRun): string {
  return [
    label.padStart(9),
    checkKey(r).padStart(14),
    `${r.failing}/${r.requests}`.padStart(8),
    String(r.landed).padStart(7),
    String(r.rejected).padStart(9),
    f1(r.seconds).padStart(7),
    f2(r.perSecond).padStart(6),
    `${f2(ratio)}x`.padStart(12),
    `${f2(theory)}x`.padStart(7),
    `${r.checkRunsStarted}/${r.checkRunsCompleted}`.padStart(21),
    f1(r.checkMsP50).padStart(12),
    (r.orderIdentical ? 'identical' : 'DIFFERS').padStart(10),
  ].join(' ');
}

function phasesRow({ label, r }: WorkersRun): string {
  const ph = r.phases;
  const held = ph.waitBase + ph.merge + ph.wasted + ph.validate + ph.toResolve;
  return [
    label.padStart(9),
    checkKey(r).padStart(14),
    f1(ph.waitBase).padStart(10),
    f1(ph.merge).padStart(6),
    f1(ph.wasted).padStart(7),
    f1(ph.validate).padStart(9),
    f1(ph.toResolve).padStart(11),
    f1(held).padStart(7),
    f1(ph.rejectedHold).padStart(14),
    f1(ph.validateRetried).padStart(16),
    `${(r.slotIdle * 100).toFixed(0)}%`.padStart(10),
    (r.cpu ? `${r.cpu.node.toFixed(0)} + ${r.cpu.children.toFixed(0)}` : 'n/a').padStart(20),
  ].join(' ');
}

/** The kind and length of a run's check: the unit its ratio to 1 worker is taken in. */
const checkKey = (r: WorkersRow) => `${r.check} ${r.checkMs / 1000} s`;

async function workersTables(): Promise<void> {
  const p = 0.1;
  console.log(
    `\nRefinery workers: draining 60 queued requests, ${p * 100}% failing, real time. ` +
      `Check "process": one check, sh -c 'sleep <duration> && test ! -e ${MARKER}' in the slot's scratch worktree ` +
      `(checked out at the speculative merge); check "timer": an in-process wait, no process and no checkout (diagnostic)\n`,
  );
  const measured: Array<{ label: string; r: WorkersRow }> = [];
  const run = async (workers: number, check: 'process' | 'timer', checkMs: number, label = String(workers)) => {
    measured.push({ label, r: await refineryWorkers(workers, { failureRate: p, check, checkMs }) });
  };
  // The target is taken with a 1 s check, 1 and 3 workers run twice in a symmetric order and
  // averaged (other load on the machine drifts, and a parallel run suffers from it more).
  // The 0.3 s rows show what a shorter check does: a validation's fixed cost (checkout,
  // clean, process starts: ~35 ms) is a larger share of it, and the theory counts none.
  await run(1, 'process', 1_000);
  for (const w of [2, 3, 4, 8]) await run(w, 'process', 1_000);
  await run(3, 'process', 1_000, '3 again');
  await run(1, 'process', 1_000, '1 again');
  for (const w of [1, 3]) await run(w, 'process', 300);
  for (const w of [1, 3, 8]) await run(w, 'timer', 300);

  const meanRate = (key: string, labels: string[]) => {
    const of = measured.filter((x) => checkKey(x.r) === key && labels.includes(x.label));
    return of.reduce((a, x) => a + x.r.perSecond, 0) / of.length;
  };
  const baseline = new Map<string, number>();
  for (const { r } of measured) {
    if (!baseline.has(checkKey(r))) baseline.set(checkKey(r), meanRate(checkKey(r), ['1', '1 again']));
  }
  const runs: WorkersRun[] = measured.map(({ label, r }) => ({
    label,
    r,
    theory: speculativeTheory(r.workers, p),
    ratio: r.perSecond / baseline.get(checkKey(r))!,
  }));
  const threeRatio = meanRate('process 1 s', ['3', '3 again']) / baseline.get('process 1 s')!;
  const ratioOf = (key: string) => runs.find((x) => checkKey(x.r) === key && x.r.workers === 3)!.ratio;

  console.log(
    '  workers           check  failing  landed  rejected  wall s  req/s  vs 1 worker  theory  check runs start/done  check p50 ms  order',
  );
  for (const x of runs) console.log(workersRow(x));
  console.log(
    `(vs 1 worker: against 1 worker with the same check; process 1 s baseline = mean of its two runs, ` +
      `${f2(baseline.get('process 1 s')!)} req/s)`,
  );
  console.log(`order: ${runs.every((x) => x.r.orderIdentical) ? 'identical' : 'DIFFERS'} (every run: landed = queue order)`);

  console.log('\nWhere a worker slot goes, mean ms per request from claim to resolution; CPU ms per request\n');
  console.log(
    '  workers           check  wait base  merge  wasted  validate  to resolve  = held  rejected hold  retried validate  slot idle  cpu node + children',
  );
  for (const x of runs) console.log(phasesRow(x));
  console.log('(retried validate: "validate" of the requests whose first run was voided by a failure ahead)');

  console.log(
    `\ntarget: 3 workers >= 2.6x of 1 worker: ${verdict(threeRatio >= 2.6)} ` +
      `(${f2(threeRatio)}x with a 1 s process check, mean of two runs; ${f2(ratioOf('process 0.3 s'))}x with a 0.3 s one; ` +
      `${f2(ratioOf('timer 0.3 s'))}x with the 0.3 s timer check; theory ${f2(speculativeTheory(3, p))}x)`,
  );
}

/** Every benchmark by the name `npm run bench -- <name>...` selects it by, in run order. */
const BENCHES: Record<string, () => Promise<unknown>> = {
  'conflict-scaling': conflictTable,
  'merge-path': mergePathTables,
  'refinery-workers': workersTables,
  'realtime-latency': printRealtimeLatency,
  'cluster-realtime': printClusterRealtime,
  cluster: printClusterBench,
  'page-timing': printPageTiming,
  lab: printLabBench,
  'beads-import': printBeadsImport,
  'body-limit': printBodyLimit,
  'pg-store': printStoreWrites,
  'history-lab': printHistoryLab,
  previews: printPreviews,
};

async function main() {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`);
  }
  const started = performance.now();
  header();
  for (const [name, run] of Object.entries(BENCHES)) if (wanted.length === 0 || wanted.includes(name)) await run();
  clearInterval(sampler);
  console.log(`\nload average at end (1/5/15 min): ${load()}`);
  console.log(`total wall: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(`peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
