/**
 * Previews of the operator's levers on the live demo town (a real server, GT_DEMO=1, 8
 * polecats on `myproject`, real time): scale the Refinery to 3 workers, stagger the open
 * convoy in waves of 4, split the rig as the server suggests. Once the town has a history
 * worth calibrating from (40 landed beads), each preview runs ROUNDS times through
 * `POST /api/lab/preview`, each round on its own seed so no round reuses another's runs
 * (from the second on, the fit starts from the rig's last fitted spread, as an operator's
 * next preview does), then once more with the last round's request (a second look).
 * Target: under 3 s each (median of the rounds). The machine is shared, so the server's
 * CPU seconds per preview are printed beside the wall time.
 */
import type { ConvoySummary } from '../contracts/convoys';
import type { Change, Preview } from '../contracts/lab';
import type { SuggestedSplit } from '../contracts/split';
import { sleep } from '../tests/support/crash-server';
import { rawRequest, startTestServer, type TestServer } from '../tests/support/http-server';

const TOKEN = 'bench-previews-operator';
const RIG = 'myproject';
const ROUNDS = 5;
const TARGET_S = 3;
const HISTORY_BEADS = 40;

async function api<T>(server: TestServer, method: string, path: string, body?: unknown): Promise<T> {
  const r = await rawRequest(server, path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error(`${method} ${path} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json as T;
}

const landed = async (server: TestServer) =>
  (await api<ConvoySummary[]>(server, 'GET', '/api/convoys')).reduce((n, c) => n + c.progress.done, 0);

/** The server's CPU seconds per second with no preview running: the live town's own share. */
async function idleCpuRate(server: TestServer): Promise<number> {
  const cpu = server.cpuSeconds();
  const started = performance.now();
  await sleep(10_000);
  return (server.cpuSeconds() - cpu) / ((performance.now() - started) / 1000);
}

/**
 * Wall seconds, and the server's CPU seconds over them less the live town's share at its
 * idle rate: what the preview cost the server, whatever the machine's load.
 */
async function timedPreview(
  server: TestServer,
  change: Change,
  seed: number,
  idleRate: number,
): Promise<{ s: number; cpu: number; preview: Preview }> {
  const cpu = server.cpuSeconds();
  const started = performance.now();
  const preview = await api<Preview>(server, 'POST', '/api/lab/preview', { rig: RIG, change, seed });
  const s = (performance.now() - started) / 1000;
  return { s, cpu: server.cpuSeconds() - cpu - idleRate * s, preview };
}

export async function printPreviews(): Promise<void> {
  console.log(`\nPreviews on the live demo town (${RIG}, 8 polecats, real time; ${ROUNDS} rounds, seeds 1-${ROUNDS})\n`);
  const server = await startTestServer({ env: { GT_DEMO: '1', GT_AUTH: 'on', GT_OPERATOR_TOKEN: TOKEN } });
  try {
    const waitStarted = performance.now();
    while ((await landed(server)) < HISTORY_BEADS) await sleep(1_000);
    console.log(`history: ${HISTORY_BEADS}+ beads landed after ${((performance.now() - waitStarted) / 1000).toFixed(0)} s`);
    const idleRate = await idleCpuRate(server);
    console.log(`the live town alone: ${idleRate.toFixed(2)} CPU s per s of the server (subtracted from "cpu s")`);
    const convoy = (await api<ConvoySummary[]>(server, 'GET', '/api/convoys')).find((c) => c.status === 'open');
    if (!convoy) throw new Error('the demo town has no open convoy to stagger');
    const split = await api<SuggestedSplit>(server, 'GET', `/api/rigs/${RIG}/split/suggest`);
    const changes: [string, Change][] = [
      ['scale to 3 workers', { kind: 'scale', workers: 3 }],
      [`stagger ${convoy.id} in waves of 4`, { kind: 'stagger', convoy: convoy.id, waveSize: 4 }],
      [
        `split into ${split.partitions.map((p) => p.name).join(', ')}`,
        { kind: 'split', partitions: split.partitions.map((p) => ({ name: p.name, globs: p.globs })) },
      ],
    ];
    console.log(
      'preview                                      median s   max s   cpu s   again s     fitted to  virtual h  before -> after          target',
    );
    for (const [label, change] of changes) {
      const rounds: number[] = [];
      const cpus: number[] = [];
      let last: Preview | null = null;
      for (let seed = 1; seed <= ROUNDS; seed++) {
        const t = await timedPreview(server, change, seed, idleRate);
        rounds.push(t.s);
        cpus.push(t.cpu);
        last = t.preview;
      }
      const again = await timedPreview(server, change, ROUNDS, idleRate);
      const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      rounds.sort((a, b) => a - b);
      const median = mid(rounds);
      const p = last!;
      const headline =
        change.kind === 'stagger'
          ? `lands ${((p.before.figures.convoyLandedMs ?? 0) / 60_000).toFixed(1)} -> ${((p.after.figures.convoyLandedMs ?? 0) / 60_000).toFixed(1)} min`
          : `${p.before.figures.mergesPerHour.toFixed(0)} -> ${p.after.figures.mergesPerHour.toFixed(0)} merges/h`;
      console.log(
        [
          label.slice(0, 44).padEnd(44),
          median.toFixed(2).padStart(9),
          rounds.at(-1)!.toFixed(2).padStart(7),
          mid(cpus).toFixed(2).padStart(7),
          again.s.toFixed(2).padStart(9),
          String(p.calibration.fittedTo ?? 'no fit').padStart(12),
          p.before.params.hours.toFixed(2).padStart(10),
          headline.padStart(24),
          `< ${TARGET_S} s: ${median < TARGET_S ? 'met' : 'MISSED'}`.padStart(15),
        ].join(' '),
      );
    }
  } finally {
    await server.stop();
  }
}
