/**
 * One behaviour, two stores: every TownStore implementation must pass this suite, so the
 * engine can be tested on MemoryStore and trusted on PrismaStore (SQLite today,
 * PostgreSQL later). The SQLite files are real, migrated by the same migrateDatabase the
 * server runs at start.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Bead, Convoy, MergeRequest, Polecat, Rig } from '@/server/engine/model';
import type { DomainEvent } from '@/server/engine/events';
import type { AuditRecord, TownStore } from '@/server/engine/ports';
import { MemoryStore } from '@/server/store/memory-store';
import { PrismaStore } from '@/server/store/prisma-store';
import { openSqlitePrisma } from '@/server/store/sqlite';
import { migrateDatabase } from '@/server/store/migrate';

// ---- fixtures: every field set, times with fractions to prove Float round-trips ----

const T0 = 1_790_000_000_000.25;

function rig(over: Partial<Rig> = {}): Rig {
  return {
    name: 'alpha',
    repoPath: '/srv/rigs/alpha',
    targetBranch: 'main',
    status: 'active',
    settings: { refineryWorkers: 3, agentWorkMs: 45_000 },
    createdAt: T0,
    counters: { merged: 12, conflicts: 3, reworkedMerged: 2 },
    ...over,
  };
}

function polecat(over: Partial<Polecat> = {}): Polecat {
  return {
    id: 'alpha/nux',
    rig: 'alpha',
    name: 'nux',
    state: 'working',
    beadId: 'gt-1',
    branch: 'polecat/nux',
    worktreePath: '/srv/rigs/alpha/.worktrees/nux',
    lastHeartbeatAt: T0 + 1000.5,
    lastProgressAt: T0 + 900,
    stateSince: T0 + 10,
    tokensUsed: 3_000_000_000, // past 2^31 on purpose
    ...over,
  };
}

function bead(over: Partial<Bead> = {}): Bead {
  return {
    id: 'gt-1',
    title: 'Add rate limiter',
    description: 'Token bucket in front of the API client.\nSecond line, "quoted".',
    status: 'in_progress',
    priority: 1,
    labels: ['api', 'perf'],
    dependsOn: ['gt-0'],
    paths: ['src/api/**', 'README.md'],
    rig: 'alpha',
    assignee: 'alpha/nux',
    convoyId: 'cv-1',
    createdAt: T0,
    updatedAt: T0 + 5000,
    closedAt: null,
    ...over,
  };
}

function convoy(over: Partial<Convoy> = {}): Convoy {
  return {
    id: 'cv-1',
    title: 'Rate limiting',
    status: 'open',
    beadIds: ['gt-1', 'gt-2'],
    createdAt: T0,
    closedAt: null,
    ...over,
  };
}

function mergeRequest(over: Partial<MergeRequest> = {}): MergeRequest {
  return {
    id: 'mr-1',
    rig: 'alpha',
    polecatId: 'alpha/nux',
    beadId: 'gt-1',
    branch: 'polecat/nux',
    headSha: 'a'.repeat(40),
    status: 'conflicted',
    priority: 2,
    attempts: 2,
    mergeCommit: 'b'.repeat(40),
    conflictFiles: ['src/api/client.ts'],
    enqueuedAt: T0 + 100,
    updatedAt: T0 + 200,
    landedAt: null,
    ...over,
  };
}

const landed = (at: number): DomainEvent => ({ type: 'convoy.landed', at, convoy: 'cv-1' });
const merged = (at: number, rigName = 'alpha'): DomainEvent => ({
  type: 'mr.merged',
  at,
  rig: rigName,
  mr: 'mr-1',
  bead: 'gt-1',
  mergeCommit: 'c'.repeat(40),
  attempts: 1,
  queueMs: 1234.5,
  mergeMs: 12,
});

function audit(over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    at: T0,
    actor: 'ada',
    role: 'operator',
    action: 'rig.split',
    input: { rig: 'alpha', into: ['alpha-api', 'alpha-ui'], dryRun: false },
    ok: true,
    error: null,
    ...over,
  };
}

// ---- the two stores ----

const tmp = mkdtempSync(path.join(os.tmpdir(), 'store-conformance-'));
/** Migrated once, copied per test: migrate deploy costs about a second per run. */
const template = path.join(tmp, 'template.db');
let fileCounter = 0;

interface Factory {
  name: string;
  open(): Promise<TownStore>;
}

const factories: Factory[] = [
  { name: 'MemoryStore', open: async () => new MemoryStore() },
  {
    name: 'PrismaStore on SQLite',
    open: async () => {
      const file = path.join(tmp, `t${++fileCounter}.db`);
      copyFileSync(template, file);
      return new PrismaStore(await openSqlitePrisma(file));
    },
  },
];

beforeAll(async () => {
  await migrateDatabase(template);
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe.each(factories)('$name', (factory) => {
  let store: TownStore;
  const open = async () => (store = await factory.open());

  afterEach(async () => {
    await store?.close();
  });

  describe('town state', () => {
    it('returns an empty town when nothing was saved', async () => {
      await open();
      expect(await store.loadTown()).toEqual({ rigs: [], polecats: [], beads: [], convoys: [], mergeRequests: [] });
    });

    it('returns every field of every record kind unchanged when saved and loaded', async () => {
      await open();
      const idle = polecat({
        id: 'alpha/max',
        name: 'max',
        state: 'idle',
        beadId: null,
        lastHeartbeatAt: null,
        lastProgressAt: null,
      });
      await store.saveRig(rig());
      await store.savePolecat(polecat());
      await store.savePolecat(idle);
      await store.saveBead(bead());
      await store.saveConvoy(convoy());
      await store.saveMergeRequest(mergeRequest());
      await store.saveMergeRequest(
        mergeRequest({ id: 'mr-2', status: 'queued', mergeCommit: null, conflictFiles: [], enqueuedAt: T0 + 300 }),
      );

      expect(await store.loadTown()).toEqual({
        rigs: [rig()],
        polecats: [idle, polecat()],
        beads: [bead()],
        convoys: [convoy()],
        mergeRequests: [
          mergeRequest(),
          mergeRequest({ id: 'mr-2', status: 'queued', mergeCommit: null, conflictFiles: [], enqueuedAt: T0 + 300 }),
        ],
      });
      expect(await store.getBead('gt-1')).toEqual(bead());
    });

    it('overwrites the stored record when a record with the same id is saved again', async () => {
      await open();
      await store.saveRig(rig());
      await store.savePolecat(polecat());
      await store.saveBead(bead());
      await store.saveConvoy(convoy());
      await store.saveMergeRequest(mergeRequest());

      const rig2 = rig({
        status: 'parked',
        settings: { refineryWorkers: 1, agentWorkMs: 10 },
        counters: { merged: 13, conflicts: 3, reworkedMerged: 2 },
      });
      const polecat2 = polecat({ state: 'stalled', tokensUsed: 3_000_000_001, lastProgressAt: null });
      const bead2 = bead({ status: 'blocked', labels: [], assignee: null, updatedAt: T0 + 9000 });
      const convoy2 = convoy({ title: 'Rate limiting v2', beadIds: ['gt-1'] });
      const mr2 = mergeRequest({ status: 'merging', attempts: 3, conflictFiles: [] });
      await store.saveRig(rig2);
      await store.savePolecat(polecat2);
      await store.saveBead(bead2);
      await store.saveConvoy(convoy2);
      await store.saveMergeRequest(mr2);

      expect(await store.loadTown()).toEqual({
        rigs: [rig2],
        polecats: [polecat2],
        beads: [bead2],
        convoys: [convoy2],
        mergeRequests: [mr2],
      });
    });

    it('forgets a polecat when it is deleted, and does not fail when it was already gone', async () => {
      await open();
      await store.savePolecat(polecat());
      await store.deletePolecat('alpha/nux');
      await store.deletePolecat('alpha/nux');
      expect((await store.loadTown()).polecats).toEqual([]);
    });

    it('leaves merged and abandoned requests, finished beads and landed or closed convoys out when the town loads', async () => {
      await open();
      await store.saveBead(bead({ id: 'gt-open', status: 'open' }));
      await store.saveBead(bead({ id: 'gt-done', status: 'done', closedAt: T0 + 6000 }));
      await store.saveBead(bead({ id: 'gt-closed', status: 'closed', closedAt: T0 + 6000 }));
      await store.saveConvoy(convoy({ id: 'cv-open' }));
      await store.saveConvoy(convoy({ id: 'cv-landed', status: 'landed' }));
      await store.saveConvoy(convoy({ id: 'cv-closed', status: 'closed', closedAt: T0 + 7000 }));
      await store.saveMergeRequest(mergeRequest({ id: 'mr-queued', status: 'queued' }));
      await store.saveMergeRequest(mergeRequest({ id: 'mr-merged', status: 'merged', landedAt: T0 + 8000 }));
      await store.saveMergeRequest(mergeRequest({ id: 'mr-abandoned', status: 'abandoned' }));

      const town = await store.loadTown();
      expect(town.beads.map((b) => b.id)).toEqual(['gt-open']);
      expect(town.convoys.map((c) => c.id)).toEqual(['cv-open']);
      expect(town.mergeRequests.map((m) => m.id)).toEqual(['mr-queued']);
      // History stays queryable.
      expect(await store.getBead('gt-done')).toEqual(bead({ id: 'gt-done', status: 'done', closedAt: T0 + 6000 }));
    });

    it('keeps stored records unchanged when the caller mutates what it saved or loaded', async () => {
      await open();
      const b = bead();
      await store.saveBead(b);
      b.labels.push('mutated');
      b.title = 'mutated';
      const loaded = (await store.loadTown()).beads[0];
      loaded.paths.push('mutated');
      (await store.getBead('gt-1'))!.dependsOn.push('mutated');
      expect(await store.getBead('gt-1')).toEqual(bead());
    });

    it('returns null when asked for a bead that does not exist', async () => {
      await open();
      expect(await store.getBead('nope')).toBeNull();
    });
  });

  describe('listBeads', () => {
    const seed = async () => {
      await store.saveBead(bead({ id: 'a-open', rig: 'alpha', status: 'open', updatedAt: T0 + 1 }));
      await store.saveBead(bead({ id: 'a-busy', rig: 'alpha', status: 'in_progress', updatedAt: T0 + 3 }));
      await store.saveBead(bead({ id: 'b-open', rig: 'beta', status: 'open', updatedAt: T0 + 2 }));
      // Closed long ago, touched (relabelled) recently: `since` must go by closedAt.
      await store.saveBead(bead({ id: 'a-old-done', rig: 'alpha', status: 'done', closedAt: T0 - 100, updatedAt: T0 + 50 }));
      await store.saveBead(bead({ id: 'b-new-done', rig: 'beta', status: 'done', closedAt: T0 + 40, updatedAt: T0 + 40 }));
    };
    const ids = (beads: Bead[]) => beads.map((b) => b.id);

    it('returns every bead newest first when no filter is given', async () => {
      await open();
      await seed();
      expect(ids(await store.listBeads({}))).toEqual(['a-old-done', 'b-new-done', 'a-busy', 'b-open', 'a-open']);
    });

    it('returns only beads in the given statuses when a status list is given', async () => {
      await open();
      await seed();
      expect(ids(await store.listBeads({ status: ['open', 'in_progress'] }))).toEqual(['a-busy', 'b-open', 'a-open']);
      expect(ids(await store.listBeads({ status: ['done'] }))).toEqual(['a-old-done', 'b-new-done']);
      expect(await store.listBeads({ status: [] })).toEqual([]);
    });

    it('returns only one rig’s beads when a rig is given', async () => {
      await open();
      await seed();
      expect(ids(await store.listBeads({ rig: 'beta' }))).toEqual(['b-new-done', 'b-open']);
    });

    it('counts done beads from when they closed when since is given', async () => {
      await open();
      await seed();
      expect(ids(await store.listBeads({ since: T0 + 2 }))).toEqual(['b-new-done', 'a-busy', 'b-open']);
      expect(ids(await store.listBeads({ status: ['done'], since: T0 }))).toEqual(['b-new-done']);
    });

    it('returns at most limit beads, the newest, when a limit is given', async () => {
      await open();
      await seed();
      expect(ids(await store.listBeads({ rig: 'alpha', limit: 2 }))).toEqual(['a-old-done', 'a-busy']);
      expect(await store.listBeads({ limit: 0 })).toEqual([]);
    });
  });

  describe('events', () => {
    it('returns appended events with their data, newest first, with ids in append order', async () => {
      await open();
      await store.appendEvents([merged(T0 + 1), landed(T0 + 2)]);
      await store.appendEvents([]);
      await store.appendEvents([merged(T0 + 3, 'beta')]);

      const events = await store.listEvents({});
      expect(events.map((e) => ({ at: e.at, type: e.type, rig: e.rig, data: e.data }))).toEqual([
        { at: T0 + 3, type: 'mr.merged', rig: 'beta', data: merged(T0 + 3, 'beta') },
        { at: T0 + 2, type: 'convoy.landed', rig: null, data: landed(T0 + 2) },
        { at: T0 + 1, type: 'mr.merged', rig: 'alpha', data: merged(T0 + 1) },
      ]);
      const [third, second, first] = events.map((e) => e.id);
      expect(first).toBeLessThan(second);
      expect(second).toBeLessThan(third);
    });

    it('returns only matching events when types, rig, since and limit are given', async () => {
      await open();
      await store.appendEvents([merged(T0 + 1), landed(T0 + 2), merged(T0 + 3, 'beta'), merged(T0 + 4)]);
      const ats = async (q: Parameters<TownStore['listEvents']>[0]) => (await store.listEvents(q)).map((e) => e.at - T0);

      expect(await ats({ types: ['convoy.landed'] })).toEqual([2]);
      expect(await ats({ types: ['mr.merged', 'convoy.landed'], limit: 2 })).toEqual([4, 3]);
      expect(await ats({ rig: 'alpha' })).toEqual([4, 1]);
      expect(await ats({ since: T0 + 2 })).toEqual([4, 3, 2]);
      expect(await ats({ types: ['mr.merged'], rig: 'alpha', since: T0 + 2 })).toEqual([4]);
      expect(await ats({ types: [] })).toEqual([]);
    });

    it('deletes only events older than the cut-off and reports how many when pruned', async () => {
      await open();
      await store.appendEvents([merged(T0 + 1), landed(T0 + 2), merged(T0 + 3)]);
      expect(await store.pruneEvents(T0 + 2)).toBe(1);
      expect((await store.listEvents({})).map((e) => e.at - T0)).toEqual([3, 2]);
      expect(await store.pruneEvents(T0 + 2)).toBe(0);
    });
  });

  describe('audit', () => {
    it('returns audit records with all their fields, newest first, when listed', async () => {
      await open();
      const failed = audit({ at: T0 + 10, action: 'rig.stagger', ok: false, error: 'rig not found', input: ['x', 1, null] });
      await store.appendAudit(audit());
      await store.appendAudit(failed);
      await store.appendAudit(audit({ at: T0 + 5, input: undefined }));

      expect(await store.listAudit(10)).toEqual([failed, audit({ at: T0 + 5, input: null }), audit()]);
      expect(await store.listAudit(1)).toEqual([failed]);
    });
  });
});

describe('PrismaStore on SQLite across a restart', () => {
  it('still has the town, events and audit when the store is closed and reopened on the same file', async () => {
    const file = path.join(tmp, 'restart', 'town.db');
    await migrateDatabase(file);
    const first = new PrismaStore(await openSqlitePrisma(file));
    await first.saveRig(rig());
    await first.savePolecat(polecat());
    await first.saveBead(bead());
    await first.saveConvoy(convoy());
    await first.saveMergeRequest(mergeRequest());
    await first.appendEvents([merged(T0 + 1)]);
    await first.appendAudit(audit());
    await first.close();

    await migrateDatabase(file); // a server restart migrates again: must be a no-op
    const second = new PrismaStore(await openSqlitePrisma(file));
    try {
      expect(await second.loadTown()).toEqual({
        rigs: [rig()],
        polecats: [polecat()],
        beads: [bead()],
        convoys: [convoy()],
        mergeRequests: [mergeRequest()],
      });
      expect((await second.listEvents({})).map((e) => e.data)).toEqual([merged(T0 + 1)]);
      expect(await second.listAudit(5)).toEqual([audit()]);
    } finally {
      await second.close();
    }
  });
});
