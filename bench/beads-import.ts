/**
 * `bd import` of a 1,000-bead file with dependencies (target: under 5 s): the file parsed
 * whole, checked against the town and written in one transaction to SQLite through
 * Prisma; then the same file again (idempotent: nothing written) and its export.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScriptedAgentRuntime } from '../server/agents/scripted-agent';
import { exportBeadsFile, importBeadsFile } from '../server/beads/transfer';
import { createEngine } from '../server/engine/assembly';
import { VirtualClock } from '../server/engine/clock';
import { CliGit, initRepository } from '../server/git/cli-git';
import { demoRepositoryFiles } from '../server/git/demo-repo';
import { CheckRunner } from '../server/checks/check-runner';
import { migrateDatabase } from '../server/store/migrate';
import { PrismaStore } from '../server/store/prisma-store';
import { openSqlitePrisma } from '../server/store/sqlite';

const BEADS = 1_000;
const TARGET_S = 5;

/** Beads as bd writes them: each of the later ones blocked by up to two earlier ones; a third closed. */
export function beadsFile(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const deps = [i - 1, i - 7].filter((d) => d >= 0 && i % 3 !== 0);
    lines.push(
      JSON.stringify({
        id: `bd-${i.toString(36).padStart(4, '0')}`,
        title: `Bead number ${i}`,
        description: `What to do for bead ${i}.\nSecond line.`,
        status: i % 3 === 0 ? 'closed' : i % 5 === 0 ? 'in_progress' : 'open',
        priority: i % 5,
        issue_type: i % 4 === 0 ? 'bug' : 'task',
        labels: [`area-${i % 6}`],
        dependencies: deps.map((d) => ({ depends_on_id: `bd-${d.toString(36).padStart(4, '0')}`, type: 'blocks' })),
        created_at: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
        closed_at: i % 3 === 0 ? new Date(Date.UTC(2026, 10, 2) + i * 60_000).toISOString() : null,
      }),
    );
  }
  return lines.join('\n') + '\n';
}

export async function printBeadsImport(): Promise<void> {
  console.log(
    `\nbd import of ${BEADS.toLocaleString('en-US')} beads with dependencies (SQLite through Prisma, one transaction)\n`,
  );
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-bench-import-'));
  const db = path.join(dir, 'gastown.db');
  await migrateDatabase(db);
  const store = new PrismaStore(await openSqlitePrisma(db));
  try {
    const repo = path.join(dir, 'repo');
    await initRepository(repo, demoRepositoryFiles());
    const clock = new VirtualClock();
    const git = new CliGit();
    const town = await createEngine({
      clock,
      git,
      store,
      agents: new ScriptedAgentRuntime({ clock, git }),
      checks: new CheckRunner({ scratchRoot: path.join(dir, 'scratch') }),
      workDir: dir,
    });
    await town.rigs.add({ name: 'app', repoPath: repo });
    await town.written();
    const file = beadsFile(BEADS);
    const time = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      const started = performance.now();
      const result = await work();
      await town.written();
      return [result, (performance.now() - started) / 1000];
    };
    const [first, firstS] = await time(() => importBeadsFile(town, file));
    const [again, againS] = await time(() => importBeadsFile(town, file));
    const [exported, exportS] = await time(() => exportBeadsFile(town, store));
    console.log('step                               wall s   created  updated  unchanged  target');
    const row = (label: string, s: number, r: { created: number; updated: number; unchanged: number } | null, target: string) =>
      console.log(
        [
          label.padEnd(34),
          s.toFixed(2).padStart(6),
          String(r?.created ?? '').padStart(9),
          String(r?.updated ?? '').padStart(8),
          String(r?.unchanged ?? '').padStart(10),
          target.padStart(10),
        ].join(' '),
      );
    row(
      `import into an empty town (${(file.length / 1024).toFixed(0)} KB)`,
      firstS,
      first,
      `< ${TARGET_S} s: ${firstS < TARGET_S ? 'met' : 'MISSED'}`,
    );
    row('the same file again', againS, again, '');
    row(`export (${exported.split('\n').length - 1} lines)`, exportS, null, '');
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
