/**
 * A/B of the spawner (server/spawner): the same benchmark with git and checks started by the
 * spawner and started directly from the benchmark's process (`GT_SPAWNER=off`), runs
 * interleaved A B B A ... so that the drifting load of a shared machine falls on both.
 * Each run is its own process (the runner is chosen at first use).
 *
 *   npx tsx bench/spawner-ab.ts realtime [pairs]   town + 50 clients, 60 s (about 1.7 min a run)
 *   npx tsx bench/spawner-ab.ts workers [pairs]    1 then 3 Refinery workers, process checks
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import { realtimeLatency } from './realtime-latency';
import { refineryWorkers } from './refinery-workers';

type Kind = 'realtime' | 'workers';
type Mode = 'on' | 'off';

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** One measurement, in this process; the result is the last line of stdout, as JSON. */
async function one(kind: Kind, order: string): Promise<void> {
  if (kind === 'realtime') {
    const r = await realtimeLatency({ clients: 50 });
    console.log(JSON.stringify(r));
    return;
  }
  const counts = order === '31' ? [3, 1] : [1, 3];
  const rows: Record<number, Awaited<ReturnType<typeof refineryWorkers>>> = {};
  for (const w of counts) rows[w] = await refineryWorkers(w, { failureRate: 0.1, check: 'process' });
  console.log(JSON.stringify({ one: rows[1], three: rows[3] }));
}

function runChild(kind: Kind, mode: Mode, order: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--one', kind, order], {
      env: { ...process.env, GT_SPAWNER: mode },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`${kind} with GT_SPAWNER=${mode} exited with ${code}\n${out}`));
      else resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
}

async function main(): Promise<void> {
  const kind = process.argv[2] as Kind;
  if (kind !== 'realtime' && kind !== 'workers') throw new Error('usage: spawner-ab.ts realtime|workers [pairs]');
  const pairs = Number(process.argv[3] ?? 2);
  console.log(
    `date: ${new Date().toISOString()}, ${os.cpus().length} cores, ${execFileSync('git', ['--version'], { encoding: 'utf8' }).trim()}`,
  );
  for (let i = 0; i < pairs; i++) {
    // A B, then B A: neither mode always runs first.
    const modes: Mode[] = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    for (const mode of modes) {
      const before = load();
      const order = i % 2 === 0 ? '13' : '31';
      const r = await runChild(kind, mode, order);
      const spawner = `spawner ${mode.padEnd(3)}`;
      if (kind === 'realtime') {
        console.log(
          `${spawner}  load ${before} -> ${load()}  p50 ${r.p50Ms} ms  p95 ${r.p95Ms} ms  loop lag p99 ${(r.loopLagP99Ms as number).toFixed(1)} ms` +
            `  max ${(r.loopLagMaxMs as number).toFixed(0)} ms  events/s ${(r.eventsPerSecond as number).toFixed(1)}  merged ${r.merged}` +
            `  spawn() in server ${(r.spawnsPerSecond as number).toFixed(0)}/s blocking ${((r.spawnBlockShare as number) * 100).toFixed(0)}%` +
            `  via spawner ${(r.spawnerRequestsPerSecond as number).toFixed(0)}/s  server CPU ${((r.serverCpuShare as number) * 100).toFixed(0)}%` +
            `  ELU ${((r.eventLoopUtilisation as number) * 100).toFixed(0)}%  peak RSS ${(r.peakRssMb as number).toFixed(0)} MB`,
        );
      } else {
        type Row = { perSecond: number; cpu: { node: number; children: number } | null; phases: Record<string, number> };
        const [a, b] = [r.one as Row, r.three as Row];
        const cpu = (x: Row) => (x.cpu ? `${x.cpu.node.toFixed(0)}+${x.cpu.children.toFixed(0)}` : 'n/a');
        console.log(
          `${spawner}  load ${before} -> ${load()}  order ${order === '13' ? '1,3' : '3,1'}  1 worker ${a.perSecond.toFixed(2)} req/s` +
            ` (validate ${a.phases.validate.toFixed(0)} ms, cpu ${cpu(a)})  3 workers ${b.perSecond.toFixed(2)} req/s` +
            ` (validate ${b.phases.validate.toFixed(0)} ms, merge ${b.phases.merge.toFixed(0)} ms, cpu ${cpu(b)})` +
            `  ratio ${(b.perSecond / a.perSecond).toFixed(2)}x`,
        );
      }
    }
  }
}

if (process.argv[2] === '--one') {
  one(process.argv[3] as Kind, process.argv[4] ?? '13').then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
