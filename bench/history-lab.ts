/**
 * The history lab's speed: `gt lab history` on a generated 5,000-commit history (mixed
 * overlapping work, tests/support/history-repo.ts), end to end: a real server with the
 * repository as a rig, the CLI as a child process, the replay in the server's worker.
 * Target: under 30 s with the defaults (N up to 50, 40 windows). Printed beside it: the
 * report's own replay time, git processes in all and per window, and the curve's shape.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { HistoryReport } from '../contracts/lab-history';
import { generateHistory } from '../tests/support/history-repo';
import { rawRequest, startTestServer } from '../tests/support/http-server';

const run = promisify(execFile);
const COMMITS = 5_000;
const TARGET_S = 30;
const TOKEN = 'bench-history-operator';
const GT = path.resolve(import.meta.dirname, '..', 'bin', 'gt.mjs');

export async function printHistoryLab(): Promise<void> {
  console.log(
    `\nHistory lab: gt lab history on a generated ${COMMITS.toLocaleString('en-US')}-commit history (N up to 50, 40 windows, seed 1)\n`,
  );
  let started = performance.now();
  const origin = generateHistory('mixed', COMMITS, 1);
  const generatedS = (performance.now() - started) / 1000;
  const server = await startTestServer({ env: { GT_AUTH: 'on', GT_OPERATOR_TOKEN: TOKEN } });
  try {
    const added = await rawRequest(server, '/api/commands/rig.add', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'history', url: `file://${origin.repo}`, branch: 'main', polecats: 1 }),
    });
    if (added.status !== 200) throw new Error(`rig.add answered ${added.status}: ${added.text}`);
    const rows: string[] = [];
    for (const round of [1, 2]) {
      started = performance.now();
      const { stdout } = await run('node', [GT, 'lab', 'history', 'history', '--json'], {
        env: { ...process.env, GT_URL: server.url, GT_TOKEN: TOKEN },
        maxBuffer: 64 << 20,
      });
      const wallS = (performance.now() - started) / 1000;
      const r = JSON.parse(stdout) as HistoryReport;
      const at = (n: number) => `${(r.curve[n - 1].rate * 100).toFixed(1)}%`;
      rows.push(
        [
          String(round).padStart(5),
          wallS.toFixed(1).padStart(7),
          (r.elapsedMs / 1000).toFixed(1).padStart(9),
          String(r.windowsSampled).padStart(8),
          String(r.gitProcesses).padStart(10),
          r.gitProcessesPerWindow.toFixed(2).padStart(12),
          `${at(5)} / ${at(15)} / ${at(30)} / ${at(50)}`.padStart(28),
          String(r.reachesPainfulAt ?? `none <= ${r.maxN}`).padStart(10),
          `< ${TARGET_S} s: ${wallS < TARGET_S ? 'met' : 'MISSED'}`.padStart(14),
          `${(server.rssBytes() / 2 ** 20).toFixed(0)} MB`.padStart(10),
        ].join(' '),
      );
    }
    console.log(`history generated (git fast-import) in ${generatedS.toFixed(1)} s`);
    console.log(
      'round  wall s  replay s  windows  git procs  procs/window  rate at N=5 / 15 / 30 / 50  30% at N          target  server RSS',
    );
    for (const row of rows) console.log(row);
  } finally {
    await server.stop();
    origin.remove();
  }
}
