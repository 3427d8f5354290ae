/**
 * Bad input changes nothing, and a store that fails anyway cannot leave memory and disk
 * apart. On real SQLite through Prisma and real git:
 * - the sequence: a bead titled with a lone surrogate is refused with `invalid`
 *   (400) and not created, a valid split then succeeds, and a restart loads one layout;
 * - every multi-part command with its bad part last refuses and changes nothing in
 *   memory, in the database or in the repository's refs;
 * - a write the store refuses under rig.split, rig.merge, convoy.create and bead.create
 *   stops the town (503 `unavailable`, nothing more written), and after a restart the
 *   town in memory equals the database and the state before the command.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertManager } from '../../server/alerts/manager';
import { PrismaAlertStore } from '../../server/alerts/prisma-store';
import { createCommandBus } from '../../server/commands';
import type { Actor, CommandBus } from '../../server/commands/command';
import type { TownState } from '../../server/engine/ports';
import type { Town } from '../../server/engine/town';
import type { Bead, Convoy, MergeRequest, Polecat, Rig } from '../../contracts/records';
import { runGit } from '../../server/git/run-git';
import { migrateDatabase } from '../../server/store/migrate';
import { PrismaStore } from '../../server/store/prisma-store';
import { openSqlitePrisma } from '../../server/store/sqlite';
import { createHarness, type Harness } from '../support/engine-harness';
import { failingStore, type FailingStore } from '../support/failing-store';

const operator: Actor = { name: 'ada', role: 'operator' };
const SPLIT = {
  rig: 'app',
  partitions: [
    { name: 'app-core', globs: ['core/**'] },
    { name: 'app-ui', globs: ['ui/**'] },
  ],
};

let h: Harness | undefined;
let dbDir: string | undefined;
const opened: Array<{ town: Town; store: PrismaStore }> = [];

afterEach(async () => {
  for (const { town, store } of opened.splice(0)) {
    await town.stop();
    await store.close();
  }
  await h?.cleanup();
  if (dbDir) await rm(dbDir, { recursive: true, force: true });
  h = dbDir = undefined;
});

interface World {
  town: Town;
  bus: CommandBus;
  real: PrismaStore;
  failing: FailingStore;
  dbFile: string;
}

/** A town on a fresh SQLite file: rig `app` with 3 idle polecats and 3 open beads (core, ui, tests). */
async function openWorld(): Promise<World> {
  dbDir = await mkdtemp(path.join(os.tmpdir(), 'gt-vta-'));
  const dbFile = path.join(dbDir, 'gastown.db');
  await migrateDatabase(dbFile);
  const real = new PrismaStore(await openSqlitePrisma(dbFile));
  const failing = failingStore(real);
  h = await createHarness({ store: failing.store });
  const town = await h.open();
  opened.push({ town, store: real });
  const bus = createCommandBus({ engine: town });
  await town.rigs.add({ name: 'app', repoPath: h.repoPath });
  await town.polecats.add('app', 3);
  for (const area of ['core', 'ui', 'tests']) {
    await bus.execute('bead.create', { rig: 'app', title: `${area} work`, paths: [`${area}/`] }, operator);
  }
  await town.settle();
  return { town, bus, real, failing, dbFile };
}

/** Closes the first process's town and store and opens the town again from the same database. */
async function restart(w: World): Promise<{ town: Town; store: PrismaStore }> {
  const first = opened.splice(
    opened.findIndex((o) => o.town === w.town),
    1,
  )[0];
  await first.town.stop();
  await first.store.close();
  const store = new PrismaStore(await openSqlitePrisma(w.dbFile));
  const town = await h!.open({ store });
  opened.push({ town, store });
  return { town, store };
}

const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a).localeCompare(key(b));

/** The records that make the town's layout and work, as comparable data. */
function project(rigs: Rig[], polecats: Polecat[], beads: Bead[], convoys: Convoy[], mergeRequests: MergeRequest[]) {
  return {
    rigs: rigs
      .map((r) => ({
        name: r.name,
        status: r.status,
        scope: r.settings.scope,
        exclude: r.settings.scopeExclude,
        lineage: r.lineage,
      }))
      .sort(byKey((r) => r.name)),
    polecats: polecats
      .map((p) => ({ id: p.id, rig: p.rig, name: p.name, state: p.state, bead: p.beadId }))
      .sort(byKey((p) => p.id)),
    beads: beads
      .map((b) => ({ id: b.id, rig: b.rig, title: b.title, status: b.status, dependsOn: b.dependsOn, convoy: b.convoyId }))
      .sort(byKey((b) => b.id)),
    convoys: convoys.map((c) => ({ id: c.id, title: c.title, status: c.status, beads: c.beadIds })).sort(byKey((c) => c.id)),
    mergeRequests: mergeRequests.map((mr) => ({ id: mr.id, rig: mr.rig, status: mr.status })).sort(byKey((mr) => mr.id)),
  };
}

const inMemory = (town: Town) =>
  project(
    town.rigs.list(),
    town.polecats.list(),
    town.beads.list(),
    town.convoys.list(),
    town.rigs.list().flatMap((r) => town.rigs.mergeQueue(r.name)),
  );

const onDisk = (s: TownState) => project(s.rigs, s.polecats, s.beads, s.convoys, s.mergeRequests);

async function refs(repo: string): Promise<string> {
  return (await runGit(['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: repo })).stdout;
}

async function everything(w: World) {
  await w.town.settle();
  return { memory: inMemory(w.town), database: onDisk(await w.real.loadTown()), refs: await refs(h!.repoPath) };
}

const refusal = (w: World, name: string, input: unknown) =>
  w.bus.execute(name, input, operator).then(
    () => null,
    (err: { code: string; message: string }) => ({ code: err.code, message: err.message }),
  );

describe('a bead with a lone surrogate, then a split', () => {
  it('refuses the bead with invalid naming its title, splits, and loads one layout after a restart', async () => {
    const w = await openWorld();
    const before = await everything(w);
    const refused = await refusal(w, 'bead.create', { rig: 'app', title: 'broken \ud800 title' });
    expect(refused).toEqual({ code: 'invalid', message: expect.stringMatching(/^title: must be well-formed Unicode/) });
    expect(await everything(w)).toEqual(before);

    await w.bus.execute('rig.split', SPLIT, operator);
    await w.town.settle();
    expect(w.town.failedWrites).toBe(0);
    expect(w.town.stopped).toBeNull();
    const afterSplit = inMemory(w.town);
    expect(afterSplit.rigs.filter((r) => r.status === 'active').map((r) => r.name)).toEqual(['app-core', 'app-rest', 'app-ui']);

    const again = await restart(w);
    expect(inMemory(again.town)).toEqual(afterSplit);
    expect(onDisk(await again.store.loadTown())).toEqual(afterSplit);
    expect(again.town.rigs.get('app')!.status).toBe('retired');
  });
});

describe('multi-part commands with the bad part last', () => {
  it('refuses convoy.create whose third bead depends on an unknown bead, storing none of the beads', async () => {
    const w = await openWorld();
    const before = await everything(w);
    const beads = [
      { rig: 'app', title: 'one', paths: ['core/'] },
      { rig: 'app', title: 'two', paths: ['ui/'] },
      { rig: 'app', title: 'three', paths: ['tests/'], dependsOn: ['gt-nope'] },
    ];
    expect(await refusal(w, 'convoy.create', { title: 'sprint', beads })).toEqual({
      code: 'invalid',
      message: "dependency 'gt-nope' is not an open bead",
    });
    expect(await everything(w)).toEqual(before);
  });

  it('refuses convoy.create whose third bead has a lone surrogate in its title, naming that field', async () => {
    const w = await openWorld();
    const before = await everything(w);
    const beads = [{ title: 'one' }, { title: 'two' }, { title: 'three \udfff' }].map((b) => ({ ...b, rig: 'app' }));
    const refused = await refusal(w, 'convoy.create', { title: 'sprint', beads });
    expect(refused?.code).toBe('invalid');
    expect(refused?.message).toMatch(/^beads\.2\.title: must be well-formed Unicode/);
    expect(await everything(w)).toEqual(before);
  });

  it('refuses bead.create whose last dependency is unknown', async () => {
    const w = await openWorld();
    const known = w.town.beads.list()[0].id;
    const before = await everything(w);
    expect(await refusal(w, 'bead.create', { rig: 'app', title: 'x', dependsOn: [known, 'gt-nope'] })).toEqual({
      code: 'invalid',
      message: "dependency 'gt-nope' is not an open bead",
    });
    expect(await everything(w)).toEqual(before);
  });

  it('refuses bead.depend whose last dependency would close a cycle, keeping the first', async () => {
    const w = await openWorld();
    const [a, b, c] = w.town.beads.list().map((x) => x.id);
    await w.bus.execute('bead.depend', { id: b, on: [a] }, operator);
    const before = await everything(w);
    const refused = await refusal(w, 'bead.depend', { id: a, on: [c, b] });
    expect(refused).toEqual({ code: 'invalid', message: `'${a}' -> '${b}' would make a dependency cycle` });
    expect(await everything(w)).toEqual(before);
  });

  it('refuses rig.split whose last partition takes a rig name in use', async () => {
    const w = await openWorld();
    await w.town.rigs.add({ name: 'other', repoPath: h!.repoPath });
    const before = await everything(w);
    const request = { ...SPLIT, partitions: [...SPLIT.partitions, { name: 'other', globs: ['tests/**'] }] };
    expect(await refusal(w, 'rig.split', request)).toEqual({ code: 'conflict', message: "rig 'other' already exists" });
    expect(await everything(w)).toEqual(before);
  });

  it('refuses rig.split whose last partition glob is not well-formed text', async () => {
    const w = await openWorld();
    const before = await everything(w);
    const request = { ...SPLIT, partitions: [...SPLIT.partitions, { name: 'app-tests', globs: ['tests/**', 'docs/\u0000'] }] };
    const refused = await refusal(w, 'rig.split', request);
    expect(refused?.code).toBe('invalid');
    expect(refused?.message).toMatch(/^partitions\.2\.globs\.1: cannot contain NUL/);
    expect(await everything(w)).toEqual(before);
  });

  it('refuses rig.merge when its last partition was split again', async () => {
    const w = await openWorld();
    await w.bus.execute('rig.split', SPLIT, operator); // app-core, app-ui and the remainder app-rest
    await w.bus.execute('rig.split', { rig: 'app-rest', partitions: [{ name: 'app-tests', globs: ['tests/**'] }] }, operator);
    const before = await everything(w);
    expect(await refusal(w, 'rig.merge', { rig: 'app' })).toEqual({
      code: 'conflict',
      message: "partition 'app-rest' was split again; merge its own partitions back first",
    });
    expect(await everything(w)).toEqual(before);
  });
});

describe('a store write that fails anyway', () => {
  /** Runs `name` with the store refusing the write `failOn` picks; the town must stop and a restart load the state from before. */
  async function failUnder(w: World, name: string, input: unknown, failOn: (method: string) => boolean) {
    const before = await everything(w);
    w.failing.failOn((method) => failOn(method));
    const refused = await refusal(w, name, input);
    expect(w.failing.failed()).toBe(true);
    expect(refused).toEqual({
      code: 'unavailable',
      message: expect.stringMatching(/^the town stopped: the store refused a write/),
    });
    await w.town.settle();
    expect(w.town.stopped).toMatchObject({ error: expect.stringContaining('disk I/O error') });
    // Stopped: nothing else is taken, nothing more is written.
    expect((await refusal(w, 'bead.create', { rig: 'app', title: 'later' }))?.code).toBe('unavailable');
    expect(w.failing.writesAfterFailure()).toEqual([]);
    expect(await refs(h!.repoPath)).toBe(before.refs);

    const again = await restart(w);
    const loaded = inMemory(again.town);
    expect(loaded).toEqual(before.memory);
    expect(onDisk(await again.store.loadTown())).toEqual(loaded);
    return again.town;
  }

  it('stops the town when rig.split cannot be stored, and a restart loads the rig unsplit', async () => {
    const w = await openWorld();
    const town = await failUnder(w, 'rig.split', SPLIT, (m) => m === 'saveAll');
    expect(town.rigs.list().map((r) => `${r.name}:${r.status}`)).toEqual(['app:active']);
  });

  it('stops the town when rig.merge cannot be stored, and a restart loads the partitions', async () => {
    const w = await openWorld();
    await w.bus.execute('rig.split', SPLIT, operator);
    const town = await failUnder(w, 'rig.merge', { rig: 'app' }, (m) => m === 'saveAll');
    expect(town.rigs.get('app')!.status).toBe('retired');
  });

  it('stops the town when convoy.create cannot be stored, and a restart has none of its beads', async () => {
    const w = await openWorld();
    const beads = ['core', 'ui', 'tests'].map((a) => ({ rig: 'app', title: `${a} part`, paths: [`${a}/`] }));
    const town = await failUnder(w, 'convoy.create', { title: 'sprint', beads, hold: true }, (m) => m === 'saveAll');
    expect(town.convoys.list()).toEqual([]);
  });

  it('stops the town when bead.create cannot be stored, answering unavailable rather than created', async () => {
    const w = await openWorld();
    const town = await failUnder(w, 'bead.create', { rig: 'app', title: 'lost?' }, (m) => m === 'saveBead');
    expect(town.beads.list().map((b) => b.title)).not.toContain('lost?');
  });
});

describe('alert commands with the bad part last', () => {
  async function withAlerts() {
    const world = await openWorld();
    const prisma = await openSqlitePrisma(world.dbFile);
    const store = new PrismaAlertStore(prisma);
    const alerts = new AlertManager({ store, clock: h!.clock });
    await alerts.load();
    const w = { ...world, bus: createCommandBus({ engine: world.town, alerts }) };
    const state = async () => {
      await alerts.flush();
      return {
        memory: { rules: alerts.listRules(), silences: alerts.activeView().silences },
        database: { rules: await store.listRules(), silences: await store.listSilences({}) },
      };
    };
    const close = async () => {
      await prisma.$disconnect();
    };
    return { w, state, close };
  }

  it('refuses a silence whose last matcher repeats a label, creating no silence', async () => {
    const { w, state, close } = await withAlerts();
    const before = await state();
    const matchers = [
      { name: 'rig', value: 'app' },
      { name: 'severity', value: 'warning' },
      { name: 'rig', value: 'other' },
    ];
    const refused = await refusal(w, 'alert.silence', { matchers, reason: 'deploy window', durationMs: 3_600_000 });
    expect(refused).toEqual({ code: 'invalid', message: 'matchers: each label can be matched once' });
    const badValue = [
      { name: 'rig', value: 'app' },
      { name: 'severity', value: 'warn\u0007ing' },
    ];
    expect((await refusal(w, 'alert.silence', { matchers: badValue, reason: 'deploy', durationMs: 3_600_000 }))?.message).toBe(
      'matchers.1.value: must be one line without control characters',
    );
    expect(await state()).toEqual(before);
    await close();
  });

  it('refuses a rule edit whose last inhibited rule does not exist, changing no rule', async () => {
    const { w, state, close } = await withAlerts();
    const before = await state();
    const patch = { id: 'conflict-rate-high', forMs: 60_000, inhibits: ['conflict-rate-rising', 'no-such-rule'] };
    expect(await refusal(w, 'alert.rule.update', patch)).toEqual({
      code: 'invalid',
      message: "inhibits.1: there is no rule 'no-such-rule'",
    });
    expect(await state()).toEqual(before);
    await close();
  });
});
