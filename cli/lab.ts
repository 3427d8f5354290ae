/**
 * `gt lab history <rig>`: the rig's own history replayed (docs/lab.md, "The history
 * lab"): the conflict curve beside the seed's three points, the N where it reaches 30%,
 * and the partitions ranked by the conflicts a split would leave. Also the evidence
 * `gt rig split --suggest` prints beside its suggestion.
 */
import type { Command } from 'commander';
import { api } from './client';
import { colour, json, pct, table } from './output';
import { int } from './run';
import type { PartitionSpec } from '../contracts/split';
import { PAINFUL_RATE, SEED_CURVE, type HistoryProgress, type HistoryReport } from '../contracts/lab-history';

/** A replay of a big history can take a while; the server answers when it is done. */
const REPLAY_TIMEOUT_MS = 10 * 60_000;
const SHOWN_POINTS = [1, 2, 3, 5, 10, 15, 20, 30, 40, 50];

export function addLabCommands(program: Command, withJson: (c: Command) => Command): void {
  const lab = program.command('lab').description('the what-if lab');
  withJson(
    lab
      .command('history')
      .description('replay the rig’s own history: its conflict curve and natural partitions')
      .argument('<rig>')
      .option('--max-n <n>', 'largest window, 2-50 (default 50)', int('--max-n'))
      .option('--windows <n>', 'windows sampled, 1-200 (default 40)', int('--windows'))
      .option('--seed <n>', 'seed of the window sample (default 1)', int('--seed')),
  ).action(async (rig: string, opts: { maxN?: number; windows?: number; seed?: number; json?: boolean }) => {
    const body = { rig, maxN: opts.maxN, windows: opts.windows, seed: opts.seed };
    const r = await api<HistoryReport>('POST', '/api/lab/history', body, REPLAY_TIMEOUT_MS);
    if (opts.json) return json(r);
    printReport(r);
  });
}

function printReport(r: HistoryReport): void {
  console.log(
    `${colour.bold(r.rig)} ${r.branch}: ${r.changes} first-parent changes, ${r.windowsSampled} windows of up to ${r.maxN} (seed ${r.seed}), ` +
      `${r.windowsSkipped} skipped on missing objects; ${(r.elapsedMs / 1000).toFixed(1)} s, ${r.gitProcesses} git processes`,
  );
  const seed = new Map(SEED_CURVE.map((p) => [p.n, p.rate]));
  table(
    ['N', 'CONFLICTS', '95% INTERVAL', 'WINDOWS', 'SKIPPED', 'SEED SAYS'],
    r.curve
      .filter((p) => SHOWN_POINTS.includes(p.n) || p.n === r.maxN)
      .map((p) => [
        p.n,
        pct(p.rate),
        `${pct(p.low)}–${pct(p.high)}`,
        p.windows,
        p.skipped,
        seed.has(p.n) ? `~${pct(seed.get(p.n)!)}` : '',
      ]),
  );
  console.log(
    r.reachesPainfulAt === null
      ? `this repository stays under ${pct(PAINFUL_RATE)} conflicts up to N = ${r.maxN}`
      : `this repository reaches ${pct(PAINFUL_RATE)} conflicts at N = ${r.reachesPainfulAt} polecats`,
  );
  if (r.coChange.length)
    console.log(
      `changed together: ${r.coChange
        .slice(0, 5)
        .map((c) => `${c.a}+${c.b} ${c.together}`)
        .join(', ')}`,
    );
  console.log(`\npartitions at N = ${r.partitionsAtN} (unsplit ${pct(r.unsplitRate)}):`);
  table(
    ['RANK', 'FROM', 'PARTS', 'CONFLICTS', 'SPANNING'],
    r.partitions.map((p, i) => [
      i + 1,
      p.source,
      p.partitions.map((s) => s.globs.join(',')).join(' | '),
      pct(p.rate),
      pct(p.spanningShare),
    ]),
  );
  for (const note of r.notes) console.log(colour.dim(note));
}

const sameSplit = (a: PartitionSpec[], b: PartitionSpec[]) =>
  a.length === b.length && a.every((p) => b.some((q) => q.globs.join(',') === p.globs.join(',')));

/** What the last history replay says about `partitions`, printed beside a split suggestion. */
export async function printHistoryEvidence(rig: string, partitions: PartitionSpec[]): Promise<void> {
  const { report } = await api<{ progress: HistoryProgress; report: HistoryReport | null }>(
    'GET',
    `/api/lab/history?rig=${encodeURIComponent(rig)}`,
  );
  if (!report) {
    console.log(
      colour.dim(`no history replay of ${rig} yet: gt lab history ${rig} ranks partitions by the conflicts they leave`),
    );
    return;
  }
  const rank = report.partitions.findIndex((p) => sameSplit(p.partitions, partitions));
  const best = report.partitions[0];
  const mine = rank === -1 ? null : report.partitions[rank];
  console.log(
    `history replay at N = ${report.partitionsAtN}: unsplit ${pct(report.unsplitRate)}` +
      (mine
        ? `, this split ${pct(mine.rate)} (rank ${rank + 1} of ${report.partitions.length}, ${pct(mine.spanningShare)} spanning)`
        : '') +
      (best && best !== mine ? `; best ${best.partitions.map((s) => s.globs.join(',')).join(' | ')} ${pct(best.rate)}` : ''),
  );
}
