/**
 * `npm run bench`: benchmarks on real git repositories in temporary directories, printed
 * side by side in one run with the peak resident memory. Results are recorded in
 * docs/benchmarks.md with the date and machine.
 */
import { conflictScaling } from './conflict-scaling';

const SEED_CONFLICT_RATE: Record<number, string> = { 5: '~10%', 15: '~30%', 30: '~50%+' };

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

async function main() {
  console.log('Conflict rate against polecats on one rig (real git, scripted agents, virtual time)\n');
  console.log('polecats  beads  attempts  conflicts  conflict rate  seed says  merge path p50  virtual h  wall s');
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
        `${r.mergePathP50Ms.toFixed(1)} ms`.padStart(15),
        r.virtualHours.toFixed(1).padStart(10),
        r.wallSeconds.toFixed(1).padStart(7),
      ].join(' '),
    );
  }
  clearInterval(sampler);
  console.log(`\npeak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
