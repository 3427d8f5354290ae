/**
 * The what-if lab's speed: the real engine (Mayor, Refinery, Witness, Deacon, limiter)
 * over modelled git and agents on the lab's virtual clock. Targets: 40 polecats for 8
 * virtual hours in under 2 s; 1,000 polecats on 100 rigs for 24 virtual hours in under
 * 60 s. Wall time, CPU time (the machine is shared), speed-up over real time and peak
 * memory are printed side by side; then the seed's scenarios, timed.
 */
import { runLab } from '../server/lab/run';
import type { LabResult } from '../contracts/lab';
import { SCENARIOS, formatReport, runScenario } from '../server/lab/scenarios';

interface Timed {
  result: LabResult;
  wallS: number;
  cpuS: number;
}

async function timed(params: Parameters<typeof runLab>[0]): Promise<Timed> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await runLab(params);
  const used = process.cpuUsage(cpu);
  return { result, wallS: (performance.now() - started) / 1000, cpuS: (used.user + used.system) / 1e6 };
}

function row(label: string, t: Timed, targetS: number): string {
  const { run, figures } = t.result;
  const speedUp = (run.virtualHours * 3600) / t.wallS;
  return [
    label.padEnd(28),
    t.wallS.toFixed(2).padStart(7),
    t.cpuS.toFixed(2).padStart(6),
    `${Math.round(speedUp).toLocaleString('en-US')}x`.padStart(10),
    run.timersFired.toLocaleString('en-US').padStart(10),
    figures.merged.toLocaleString('en-US').padStart(8),
    `${((figures.conflictRate ?? 0) * 100).toFixed(0)}%`.padStart(9),
    `< ${targetS} s: ${t.wallS < targetS ? 'met' : 'MISSED'}`.padStart(14),
  ].join(' ');
}

export async function printLabBench(options: { scenarios?: boolean } = {}): Promise<void> {
  console.log('\nWhat-if lab: the real engine on modelled git and agents, virtual time\n');
  console.log('run                           wall s  cpu s   vs real    timers   merged  conflict          target');
  // The small run three times (the median counts): it is short enough for load to skew one run.
  const small: Timed[] = [];
  for (let i = 0; i < 3; i++) small.push(await timed({ polecatsPerRig: 40, hours: 8, seed: 1 + i }));
  small.sort((a, b) => a.wallS - b.wallS);
  console.log(row('40 polecats, 1 rig, 8 h', small[1], 2));
  const big = await timed({ rigs: 100, polecatsPerRig: 10, hours: 24, seed: 1 });
  console.log(row('1,000 polecats, 100 rigs, 24 h', big, 60));
  console.log(`(40 polecats: median of 3 seeds; peak RSS so far ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB)`);
  if (options.scenarios === false) return;
  for (const s of SCENARIOS) console.log(`\n${formatReport(await runScenario(s))}`);
}
