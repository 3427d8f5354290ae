/**
 * What starting a process costs the server's event loop, spawner against direct spawn, in
 * one process whose heap is grown to a server's size (fork time grows with resident
 * memory). Both runners take turns, round after round, on the same git command at the
 * same concurrency, so a shared machine's drifting load falls on both. Measured per
 * runner: wall ms per call, main-thread CPU ms per call (process CPU; the spawner's own CPU
 * is another process's), and the loop's delay p99 and max while the calls run
 * (monitorEventLoopDelay, 1 ms resolution).
 *
 *   npx tsx bench/spawn-cost.ts [heapMb=200] [calls=200] [concurrency=4] [rounds=4]
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { directRunner, Spawner, type ProcessRunner } from '../server/spawner/spawner';

interface Sample {
  wallMsPerCall: number;
  cpuMsPerCall: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

/** Live objects, as a server's heap holds: page tables to copy on every fork. */
function growHeap(mb: number): unknown[] {
  const keep: unknown[] = [];
  while (process.memoryUsage().rss < mb * 2 ** 20) {
    for (let i = 0; i < 10_000; i++) keep.push({ i, s: `item ${i}`, a: [i, i + 1] });
  }
  return keep;
}

async function measure(runner: ProcessRunner, calls: number, concurrency: number): Promise<Sample> {
  const request = {
    argv: ['git', 'rev-parse', '--git-dir'],
    cwd: process.cwd(),
    env: { ...process.env },
    output: { mode: 'full' as const, limit: 1024 * 1024 },
  };
  const lag = monitorEventLoopDelay({ resolution: 1 });
  const cpu = process.cpuUsage();
  const started = performance.now();
  lag.enable();
  let next = 0;
  const worker = async () => {
    while (next++ < calls) {
      const r = await runner.run(request);
      if (r.code !== 0) throw new Error(`git rev-parse failed: ${r.stderr || r.spawnError?.message}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  lag.disable();
  const used = process.cpuUsage(cpu);
  return {
    wallMsPerCall: (performance.now() - started) / calls,
    cpuMsPerCall: (used.user + used.system) / 1000 / calls,
    lagP99Ms: lag.percentile(99) / 1e6,
    lagMaxMs: lag.max / 1e6,
  };
}

async function main(): Promise<void> {
  const [heapMb, calls, concurrency, rounds] = [200, 200, 4, 4].map((d, i) => Number(process.argv[2 + i] ?? d));
  const keep = growHeap(heapMb);
  const spawner = new Spawner();
  await spawner.run({ argv: ['true'], cwd: '/', env: process.env, output: { mode: 'full', limit: 1024 } });
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(
    `date ${new Date().toISOString()}; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB (${keep.length} objects); ` +
      `${calls} x git rev-parse per run, ${concurrency} at a time; load before ${load()}`,
  );
  console.log('round  runner     wall ms/call  main CPU ms/call  loop lag p99 ms  lag max ms');
  const all: Record<string, Sample[]> = { direct: [], spawner: [] };
  for (let round = 0; round < rounds; round++) {
    const order: Array<[string, ProcessRunner]> = [
      ['direct', directRunner],
      ['spawner', spawner],
    ];
    if (round % 2 === 1) order.reverse();
    for (const [name, runner] of order) {
      const s = await measure(runner, calls, concurrency);
      all[name].push(s);
      console.log(
        `${String(round + 1).padStart(5)}  ${name.padEnd(9)} ${s.wallMsPerCall.toFixed(2).padStart(13)} ` +
          `${s.cpuMsPerCall.toFixed(2).padStart(17)} ${s.lagP99Ms.toFixed(1).padStart(16)} ${s.lagMaxMs.toFixed(1).padStart(11)}`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const name of ['direct', 'spawner']) {
    const of = (f: (s: Sample) => number) => median(all[name].map(f)).toFixed(2);
    console.log(
      `median ${name.padEnd(8)}: wall ${of((s) => s.wallMsPerCall)} ms/call, main CPU ${of((s) => s.cpuMsPerCall)} ms/call, ` +
        `lag p99 ${of((s) => s.lagP99Ms)} ms, lag max ${of((s) => s.lagMaxMs)} ms`,
    );
  }
  console.log(`load after ${load()}`);
  spawner.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
