/**
 * A merge request keeps every step of the validation that decided it: the rig's setup and
 * each check with its exit status, duration and output tail, passing ones too, in the
 * store (SQLite through Prisma) and so across a restart. A setup that fails sends the
 * request back with the reason, like a failing check.
 */
import { chmod, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckSetup, CheckSpec, MergeRequest } from '@/contracts/records';
import { demoCheck } from '@/server/checks/demo-check';
import type { Town } from '@/server/engine/town';
import { migrateDatabase } from '@/server/store/migrate';
import { PrismaStore } from '@/server/store/prisma-store';
import { openSqlitePrisma } from '@/server/store/sqlite';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const NODE = process.execPath;
const lint: CheckSpec = { name: 'lint', command: [NODE, '-e', 'console.log("lint: 0 problems")'], timeoutMs: 20_000 };

describe('the check runs a merge request keeps', () => {
  let h: Harness | undefined;
  let town: Town | undefined;
  const stores: PrismaStore[] = [];
  afterEach(async () => {
    await town?.stop();
    town = undefined;
    for (const s of stores.splice(0)) await s.close();
    await h?.cleanup();
  });

  async function openStore(file: string): Promise<PrismaStore> {
    const store = new PrismaStore(await openSqlitePrisma(file));
    stores.push(store);
    return store;
  }

  /** One bead on a rig with `setup` and checks, run until its request has left the queue. */
  async function runOneBead(setup: (out: string) => CheckSetup, settings: { maxAttempts?: number } = {}) {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'gt-runs-db-')), 'gastown.db');
    await migrateDatabase(file);
    h = await createHarness({ store: await openStore(file) });
    const out = path.join(h.dir, 'out');
    await mkdir(out);
    await chmod(out, 0o777);
    town = await h.open();
    await town.rigs.add({
      name: 'app',
      repoPath: h.repoPath,
      settings: { agentWorkMs: 5_000, checks: [lint, demoCheck(0)], setup: setup(out), ...settings },
    });
    await town.polecats.add('app', 1);
    const bead = town.beads.create({ rig: 'app', title: 'Add the totals row', paths: ['core/'] });
    town.start();
    const left = () => {
      const rig = town!.rigs.get('app')!;
      return rig.counters.merged + rig.counters.rejected > 0 && town!.rigs.mergeQueue('app').length === 0;
    };
    await runUntil(h.clock, town, left, 3_600_000);
    await town.stop();
    town = undefined;
    return { out, file, bead: bead.id };
  }

  it('records every check, passing ones too, and reads them back after a restart', async () => {
    const { out, file } = await runOneBead((dir) => ({
      command: [
        NODE,
        '-e',
        'require("fs").appendFileSync(process.argv[1] + "/setup-runs", "ran\\n"); console.log("added 0 packages")',
        dir,
      ],
      timeoutMs: 20_000,
      inputs: ['package-lock.json'],
    }));
    expect(await readFile(path.join(out, 'setup-runs'), 'utf8')).toBe('ran\n');

    // Another process: the database is all there is.
    for (const s of stores.splice(0)) await s.close();
    const reopened = await openStore(file);
    const [mr] = await reopened.listMergeRequests({ rig: 'app' });
    expect(mr.status).toBe('merged');
    // The setup ran once, when the scratch worktree was prepared; the validation found it current.
    expect(mr.checkRuns.map(({ kind, name, exitCode, ok }) => ({ kind, name, exitCode, ok }))).toEqual([
      { kind: 'check', name: 'lint', exitCode: 0, ok: true },
      { kind: 'check', name: 'checks', exitCode: 0, ok: true },
    ]);
    expect(mr.checkRuns[0].output).toContain('lint: 0 problems');
    expect(mr.checkRuns[1].output).toContain('checks passed');
    for (const run of mr.checkRuns) expect(run.durationMs).toBeGreaterThan(0);
    expect(mr.checkRuns[0].command).toEqual(lint.command);
  });

  it('sends the request back with the reason when the setup fails, and runs no check', async () => {
    const { file, bead } = await runOneBead(
      () => ({
        command: [NODE, '-e', 'console.error("npm ERR! lockfile is broken"); process.exit(1)'],
        timeoutMs: 20_000,
        inputs: [],
      }),
      { maxAttempts: 1 },
    );
    for (const s of stores.splice(0)) await s.close();
    const reopened = await openStore(file);
    const [mr]: MergeRequest[] = await reopened.listMergeRequests({ rig: 'app', beadIds: [bead] });
    expect(mr.status).not.toBe('merged');
    expect(mr.failedCheck).toBe('setup');
    expect(mr.checkOutput).toContain('npm ERR! lockfile is broken');
    expect(mr.checkOutput).toMatch(/setup '.*' failed: exited with code 1/);
    expect(mr.checkRuns).toHaveLength(1);
    expect(mr.checkRuns[0]).toMatchObject({ kind: 'setup', ok: false, exitCode: 1 });
  });
});
