/**
 * bd import / bd export through the command bus, on SQLite through Prisma and real git:
 * ids kept, closed beads are history and never dispatched, `blocks` dependencies hold
 * dispatch, unknown dependencies reported; idempotent, all-or-nothing, one transaction;
 * an exported file imports into an empty town to the same beads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bead } from '@/contracts/records';
import { exportBeadsFile } from '@/server/beads/transfer';
import { createCommandBus, type Actor } from '@/server/commands';
import type { CommandBus } from '@/server/commands/command';
import type { EngineError } from '@/server/engine/errors';
import type { Town } from '@/server/engine/town';
import { migrateDatabase } from '@/server/store/migrate';
import { PrismaStore } from '@/server/store/prisma-store';
import { openSqlitePrisma } from '@/server/store/sqlite';
import { createHarness, runUntil, type Harness } from '../support/engine-harness';

const operator: Actor = { name: 'ada', role: 'operator' };
const T = '2026-11-20T10:00:00Z';

const line = (bead: Record<string, unknown>) => JSON.stringify({ created_at: T, updated_at: T, ...bead });
const FILE = [
  line({ id: 'bd-a1', title: 'Parse the config', status: 'open', priority: 1, issue_type: 'task', labels: ['cli'] }),
  line({
    id: 'bd-a2',
    title: 'Render the table',
    status: 'in_progress',
    priority: 2,
    dependencies: [{ issue_id: 'bd-a2', depends_on_id: 'bd-a1', type: 'blocks' }],
  }),
  line({ id: 'bd-a3', title: 'Old work', status: 'closed', closed_at: '2026-11-21T08:00:00Z', assignee: 'someone' }),
  line({
    id: 'bd-a4',
    title: 'Waits on another tracker',
    status: 'hooked',
    dependencies: [{ depends_on_id: 'bd-elsewhere', type: 'blocks' }],
    some_future_field: { kept: false },
  }),
].join('\n');

describe('importing and exporting beads', () => {
  const harnesses: Harness[] = [];
  const stores: PrismaStore[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const h of harnesses.splice(0)) await h.cleanup();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function openTown(): Promise<{ town: Town; bus: CommandBus; store: PrismaStore; h: Harness }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-import-'));
    dirs.push(dir);
    await migrateDatabase(path.join(dir, 'gastown.db'));
    const store = new PrismaStore(await openSqlitePrisma(path.join(dir, 'gastown.db')));
    stores.push(store);
    const h = await createHarness({ store });
    harnesses.push(h);
    const town = await h.open();
    await town.rigs.add({ name: 'app', repoPath: h.repoPath, settings: { agentWorkMs: 5_000 } });
    return { town, bus: createCommandBus({ engine: town }), store, h };
  }

  const importFile = (bus: CommandBus, jsonl: string, rig?: string) =>
    bus.execute('bead.import', { jsonl, ...(rig ? { rig } : {}) }, operator) as Promise<{
      created: number;
      updated: number;
      unchanged: number;
      unresolvedDependencies: { id: string; dependsOn: string }[];
    }>;

  it('keeps ids, makes closed beads history, brings held ones in open and reports unknown dependencies', async () => {
    const { town, bus, store } = await openTown();
    const result = await importFile(bus, FILE);
    expect(result).toEqual({
      created: 4,
      updated: 0,
      unchanged: 0,
      unresolvedDependencies: [{ id: 'bd-a4', dependsOn: 'bd-elsewhere' }],
    });
    expect(
      town.beads
        .list()
        .map((b) => [b.id, b.status])
        .sort(),
    ).toEqual([
      ['bd-a1', 'open'],
      ['bd-a2', 'open'],
      ['bd-a4', 'open'],
    ]);
    const old = (await store.getBead('bd-a3'))!;
    expect(old.status).toBe('done');
    expect(old.closedAt).toBe(Date.parse('2026-11-21T08:00:00Z'));
    expect((await store.getBead('bd-a2'))!.dependsOn).toEqual(['bd-a1']);
  });

  it('dispatches in dependency order and never dispatches a closed bead', async () => {
    const { town, bus, h } = await openTown();
    await town.polecats.add('app', 3);
    await importFile(bus, FILE);
    const hooked: string[] = [];
    town.bus.subscribe((e) => {
      if (e.type === 'bead.status_changed' && e.to === 'hooked') hooked.push(e.bead);
    });
    town.start();
    await runUntil(h.clock, town, () => town.beads.list().length === 0, 3_600_000);
    expect(hooked).not.toContain('bd-a3');
    // bd-a2 waits for bd-a1: it is hooked only after bd-a1 landed.
    expect(hooked.indexOf('bd-a2')).toBeGreaterThan(hooked.indexOf('bd-a1'));
    expect(town.rigs.get('app')!.counters.merged).toBe(3);
    await town.stop();
  });

  it('creates nothing when the same file comes again, and updates a changed bead', async () => {
    const { town, bus, store } = await openTown();
    await importFile(bus, FILE);
    expect(await importFile(bus, FILE)).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    const changed = FILE.replace('Parse the config', 'Parse the config file').replace('"priority":1', '"priority":0');
    expect(await importFile(bus, changed)).toMatchObject({ created: 0, updated: 1, unchanged: 3 });
    expect(town.beads.get('bd-a1')).toMatchObject({ title: 'Parse the config file', priority: 0 });
    await town.written();
    expect((await store.getBead('bd-a1'))!.title).toBe('Parse the config file');
    expect((await store.listBeads({})).length).toBe(4);
  });

  it('imports nothing when one line is malformed, and names the line', async () => {
    const { town, bus, store } = await openTown();
    const lines = FILE.split('\n');
    lines.splice(2, 0, '{"id": "bd-bad", "title": ');
    const error = (await importFile(bus, lines.join('\n')).catch((e) => e)) as EngineError;
    expect(error.code).toBe('invalid');
    expect(error.message).toMatch(/^line 3: not valid JSON/);
    const noPriority = FILE.replace('"priority":2', '"priority":9');
    expect(((await importFile(bus, noPriority).catch((e) => e)) as Error).message).toMatch(/^line 2: priority/);
    await town.written();
    expect(town.beads.list()).toEqual([]);
    expect(await store.listBeads({})).toEqual([]);
  });

  it('refuses a file whose dependencies would make a cycle with the town, changing nothing', async () => {
    const { town, bus } = await openTown();
    await importFile(bus, FILE);
    const cycle = line({ id: 'bd-a1', title: 'Parse the config', dependencies: [{ depends_on_id: 'bd-a2', type: 'blocks' }] });
    const error = (await importFile(bus, cycle).catch((e) => e)) as EngineError;
    expect(error.message).toMatch(/cycle/);
    expect(town.beads.get('bd-a1')!.dependsOn).toEqual([]);
  });

  it('imports an exported file into an empty town to the same beads', async () => {
    const a = await openTown();
    await importFile(a.bus, FILE);
    a.town.beads.create({ rig: 'app', title: 'Made here', description: 'two\nlines', labels: ['ui'], priority: 3 });
    await a.town.written();
    const exported = await exportBeadsFile(a.town, a.store);
    const b = await openTown();
    expect(await importFile(b.bus, exported)).toMatchObject({ created: 5, updated: 0, unchanged: 0 });
    await b.town.written();
    const shape = (beads: Bead[]) =>
      beads
        .map(
          ({ id, title, description, status, priority, labels, dependsOn, issueType, parent, related, createdAt, closedAt }) => ({
            id,
            title,
            description,
            status,
            priority,
            labels,
            dependsOn,
            issueType,
            parent,
            related,
            createdAt,
            closedAt,
          }),
        )
        .sort((x, y) => x.id.localeCompare(y.id));
    expect(shape(await b.store.listBeads({}))).toEqual(shape(await a.store.listBeads({})));
    // And importing the export back into the town it came from changes nothing.
    expect(await importFile(a.bus, exported)).toMatchObject({ created: 0, updated: 0, unchanged: 5 });
  });

  it('keeps issue types, parents and related beads, reports the unknown ones, and exports them back', async () => {
    const { town, bus, store, h } = await openTown();
    const linkedFile = [
      line({ id: 'bd-e1', title: 'Reporting epic', issue_type: 'epic' }),
      line({
        id: 'bd-e2',
        title: 'Fix the totals row',
        issue_type: 'bug',
        dependencies: [
          { issue_id: 'bd-e2', depends_on_id: 'bd-e1', type: 'parent-child' },
          { issue_id: 'bd-e2', depends_on_id: 'bd-e3', type: 'related' },
          { issue_id: 'bd-e2', depends_on_id: 'bd-gone', type: 'related' },
        ],
      }),
      line({
        id: 'bd-e3',
        title: 'Export to CSV',
        issue_type: 'feature',
        dependencies: [{ depends_on_id: 'bd-e2', type: 'discovered-from' }],
      }),
    ].join('\n');
    expect(await importFile(bus, linkedFile)).toEqual({
      created: 3,
      updated: 0,
      unchanged: 0,
      unresolvedDependencies: [{ id: 'bd-e2', dependsOn: 'bd-gone' }],
    });
    await town.written();
    expect(await store.getBead('bd-e2')).toMatchObject({
      issueType: 'bug',
      parent: 'bd-e1',
      related: ['bd-e3', 'bd-gone'],
      dependsOn: [],
      status: 'open',
    });
    expect(await store.getBead('bd-e1')).toMatchObject({ issueType: 'epic', parent: null, related: [] });
    expect(await store.getBead('bd-e3')).toMatchObject({ issueType: 'feature', related: ['bd-e2'] });

    // Exported, the links come back in bd's own shape.
    const exported = (await exportBeadsFile(town, store))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const e2 = exported.find((b) => b.id === 'bd-e2');
    expect(e2.issue_type).toBe('bug');
    expect(e2.dependencies).toEqual([
      { issue_id: 'bd-e2', depends_on_id: 'bd-e1', type: 'parent-child' },
      { issue_id: 'bd-e2', depends_on_id: 'bd-e3', type: 'related' },
      { issue_id: 'bd-e2', depends_on_id: 'bd-gone', type: 'related' },
    ]);
    expect(exported.find((b) => b.id === 'bd-e1').issue_type).toBe('epic');

    // Changing only a link is an update (an import compares them too).
    const reparented = linkedFile.replace(
      '"depends_on_id":"bd-e1","type":"parent-child"',
      '"depends_on_id":"bd-e3","type":"parent-child"',
    );
    expect(await importFile(bus, reparented)).toMatchObject({ updated: 1 });
    // A parent or related bead holds nothing: the child is dispatched while its epic is open.
    await town.polecats.add('app', 1);
    const hooked: string[] = [];
    town.bus.subscribe((e) => {
      if (e.type === 'bead.status_changed' && e.to === 'hooked') hooked.push(e.bead);
    });
    town.start();
    await runUntil(h.clock, town, () => hooked.includes('bd-e2'), 3_600_000);
    await town.stop();
  });
});
