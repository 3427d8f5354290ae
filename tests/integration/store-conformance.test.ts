/**
 * One behaviour, three stores: every TownStore implementation must pass this suite, so the
 * engine can be tested on MemoryStore and trusted on PrismaStore, on SQLite and on
 * PostgreSQL. The databases are real: SQLite files migrated by the same migrateDatabase
 * the server runs at start, and PostgreSQL databases (one per test, copied from one
 * migrated by migratePostgres) on the machine's server, found or started by
 * tests/support/postgres.ts.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Bead, Convoy, Escalation, Gate, MergeRequest, Polecat, Rig, TownSettings, UsageRecord } from '@/contracts/records';
import type { DomainEvent } from '@/contracts/events';
import type { AuditRecord } from '@/contracts/activity';
import type { TownStore } from '@/server/engine/ports';
import { MemoryStore } from '@/server/store/memory-store';
import { PrismaStore } from '@/server/store/prisma-store';
import type { StoreClient } from '@/server/store/client';
import { openSqlitePrisma } from '@/server/store/sqlite';
import { migrateDatabase } from '@/server/store/migrate';
import { migratePostgres } from '@/server/store/pg-migrate';
import { openPostgresPrisma } from '@/server/store/postgres';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

// ---- fixtures: every field set, times with fractions to prove Float round-trips ----

const T0 = 1_790_000_000_000.25;

function rig(over: Partial<Rig> = {}): Rig {
  return {
    name: 'alpha',
    repoPath: '/srv/rigs/alpha',
    targetBranch: 'main',
    status: 'active',
    settings: {
      refineryWorkers: 3,
      mergeMode: 'speculative',
      batchSize: 4,
      checks: [{ name: 'typecheck', command: ['npx', 'tsc', '--noEmit'], timeoutMs: 120_000 }],
      setup: { command: ['npm', 'ci'], timeoutMs: 600_000, inputs: ['package-lock.json'] },
      maxAttempts: 3,
      agingStepMs: 60_000,
      fetchIntervalMs: 30_000,
      pushBranches: true,
      agentWorkMs: 45_000,
      agentFailureRate: 0.05,
      witnessIntervalMs: null,
      heartbeatTimeoutMs: 90_000,
      progressTimeoutMs: 600_000.5,
      tier: 'auto',
      scope: ['core/**', 'lib/*.ts'],
      scopeExclude: ['core/legacy/**'],
      provider: 'anthropic',
      agent: { kind: 'command', command: ['scripts/agent.sh', '--bead', '{beadId}'] },
      maxConcurrency: 2,
      agentTimeoutMs: 1_800_000,
      landing: 'upstream',
      upstreamUrl: 'https://git.example.com/team/alpha.git',
    },
    createdAt: T0,
    counters: { merged: 12, conflicts: 3, rejected: 4, reworkedMerged: 2 },
    lineage: { splitFrom: 'monolith', splitInto: [], mergedInto: null, at: T0 },
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
    health: 'unresponsive',
    strikes: 2,
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
    issueType: 'feature',
    parent: 'gt-epic',
    related: ['gt-2', 'gt-3'],
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
    dispatchedAt: T0 + 10,
    waveSize: 1,
    waves: [
      {
        index: 1,
        beads: ['gt-1'],
        gateId: null,
        dispatchedAt: T0 + 20,
        landedAt: T0 + 900.5,
        merged: 1,
        conflicts: 2,
        rejections: 0,
      },
      {
        index: 2,
        beads: ['gt-2'],
        gateId: 'gate-w2',
        dispatchedAt: null,
        landedAt: null,
        merged: 0,
        conflicts: 0,
        rejections: 0,
      },
    ],
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
    failedCheck: null,
    checkOutput: null,
    checkRuns: [
      {
        name: 'setup',
        kind: 'setup',
        command: ['npm', 'ci'],
        exitCode: 0,
        ok: true,
        durationMs: 1200.5,
        failure: null,
        output: 'added 3 packages',
      },
      {
        name: 'test',
        kind: 'check',
        command: ['npm', 'test'],
        exitCode: 1,
        ok: false,
        durationMs: 30,
        failure: "check 'test' exited with code 1",
        output: 'FAIL "quoted"\n',
      },
    ],
    enqueuedAt: T0 + 100,
    updatedAt: T0 + 200,
    landedAt: null,
    ...over,
  };
}

function escalation(over: Partial<Escalation> = {}): Escalation {
  return {
    id: 'esc-1',
    severity: 'high',
    source: 'refinery',
    reason: 'mr-1 failed the typecheck check 3 times',
    rig: 'alpha',
    beadId: 'gt-1',
    polecatId: 'alpha/nux',
    mergeRequestId: 'mr-1',
    status: 'acknowledged',
    createdAt: T0 + 300.5,
    escalatedAt: T0 + 400.25,
    acknowledgedBy: 'ada',
    acknowledgedAt: T0 + 500.75,
    resolvedBy: null,
    resolvedAt: null,
    ...over,
  };
}

function gate(over: Partial<Gate> = {}): Gate {
  return {
    id: 'gate-1',
    kind: 'merge_landed',
    title: 'Wave 2 of convoy cv-1',
    status: 'waiting',
    holds: ['gt-3', 'gt-4'],
    until: null,
    beads: ['gt-1', 'gt-2'],
    rig: 'alpha',
    convoyId: 'cv-1',
    createdAt: T0 + 600.5,
    readyAt: null,
    openedAt: null,
    openedBy: null,
    ...over,
  };
}

/** A timer gate with every nullable field set. */
function timerGate(over: Partial<Gate> = {}): Gate {
  return gate({
    id: 'gate-timer',
    kind: 'timer',
    title: 'Cool-down before the release wave',
    holds: ['gt-9'],
    until: T0 + 3_600_000.75,
    beads: [],
    rig: null,
    convoyId: null,
    readyAt: T0 + 3_600_000.75,
    ...over,
  });
}

function townSettings(over: Partial<TownSettings> = {}): TownSettings {
  return {
    deaconMode: 'tiered',
    tierIntervalsMs: { hot: 30_000, warm: 300_000, cold: 3_600_000 },
    rigPatrolMs: 2_500.5,
    coldPatrolMs: 250,
    gateFastPath: true,
    reescalateAfterMs: 1_800_000,
    providers: { anthropic: { maxSessions: 20, tokensPerMinute: null } },
    dailyBudgetUsd: 250.5,
    budgetAlertUsd: 200,
    retryLoopTokens: 150_000,
    ...over,
  };
}

/** The tail of a failing check: several lines, quotes, non-ASCII, a trailing newline. */
const CHECK_OUTPUT = 'src/api/client.ts(3,7): error TS2322: Type "string" is not assignable.\n\tat — ünïcode ✓\n';

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

/** A rig's counters as an older version stored them, before `rejected` existed. */
const LEGACY_COUNTERS = { merged: 7, conflicts: 2, reworkedMerged: 1 };

interface Factory {
  name: string;
  open(): Promise<TownStore>;
  /** Stores `rig` with `counters` written as they are, the way an older version left them. */
  saveLegacyRig(store: TownStore, rig: Rig, counters: object): Promise<void>;
}

/** The client under the PrismaStore the last `open()` returned, to write rows the old way. */
let lastPrisma: StoreClient | undefined;

/** Migrated once per run; each PostgreSQL test gets a copy, all dropped at the end. */
let pgTemplate: TestDatabase;
const pgDatabases: TestDatabase[] = [];

/** Writes a rig row the way an older version did (no lineage, counters as given). */
async function writeLegacyRig(r: Rig, counters: object): Promise<void> {
  await lastPrisma!.rig.create({
    data: {
      name: r.name,
      repoPath: r.repoPath,
      targetBranch: r.targetBranch,
      status: r.status,
      settings: JSON.stringify(r.settings),
      counters: JSON.stringify(counters),
      createdAt: r.createdAt,
    },
  });
}

const factories: Factory[] = [
  {
    name: 'MemoryStore',
    open: async () => new MemoryStore(),
    saveLegacyRig: (store, r, counters) => store.saveRig({ ...r, counters: counters as Rig['counters'] }),
  },
  {
    name: 'PrismaStore on SQLite',
    open: async () => {
      const file = path.join(tmp, `t${++fileCounter}.db`);
      copyFileSync(template, file);
      lastPrisma = await openSqlitePrisma(file);
      return new PrismaStore(lastPrisma);
    },
    saveLegacyRig: (_store, r, counters) => writeLegacyRig(r, counters),
  },
  {
    name: 'PrismaStore on PostgreSQL',
    open: async () => {
      const db = await createTestDatabase({ template: pgTemplate });
      pgDatabases.push(db);
      lastPrisma = await openPostgresPrisma(db.url);
      return new PrismaStore(lastPrisma);
    },
    saveLegacyRig: (_store, r, counters) => writeLegacyRig(r, counters),
  },
];

beforeAll(async () => {
  await migrateDatabase(template);
  pgTemplate = await createTestDatabase({ migrated: true });
});

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  for (const db of [...pgDatabases, pgTemplate]) await db?.drop();
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
      expect(await store.loadTown()).toEqual({
        rigs: [],
        polecats: [],
        beads: [],
        convoys: [],
        mergeRequests: [],
        escalations: [],
        gates: [],
        settings: null,
      });
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
        health: 'ok',
        strikes: 0,
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
      await store.saveEscalation(escalation());
      await store.saveGate(timerGate());
      await store.saveGate(gate());
      await store.saveTownSettings(townSettings());

      expect(await store.loadTown()).toEqual({
        rigs: [rig()],
        polecats: [idle, polecat()],
        beads: [bead()],
        convoys: [convoy()],
        mergeRequests: [
          mergeRequest(),
          mergeRequest({ id: 'mr-2', status: 'queued', mergeCommit: null, conflictFiles: [], enqueuedAt: T0 + 300 }),
        ],
        escalations: [escalation()],
        gates: [gate(), timerGate()],
        settings: townSettings(),
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
      await store.saveEscalation(escalation());
      await store.saveGate(gate());
      await store.saveTownSettings(townSettings());

      const rig2 = rig({
        status: 'parked',
        settings: {
          ...rig().settings,
          refineryWorkers: 1,
          mergeMode: 'batch',
          checks: [],
          agentWorkMs: 10,
          witnessIntervalMs: 60_000,
          tier: 'cold',
        },
        counters: { merged: 13, conflicts: 3, rejected: 5, reworkedMerged: 2 },
      });
      const polecat2 = polecat({
        state: 'stalled',
        tokensUsed: 3_000_000_001,
        lastProgressAt: null,
        health: 'zombie',
        strikes: 3,
      });
      const bead2 = bead({ status: 'blocked', labels: [], assignee: null, updatedAt: T0 + 9000 });
      const convoy2 = convoy({ title: 'Rate limiting v2', beadIds: ['gt-1'] });
      const mr2 = mergeRequest({ status: 'merging', attempts: 3, conflictFiles: [], failedCheck: 'lint', checkOutput: 'x' });
      const esc2 = escalation({ severity: 'critical', status: 'open', acknowledgedBy: null, acknowledgedAt: null });
      await store.saveRig(rig2);
      await store.savePolecat(polecat2);
      await store.saveBead(bead2);
      await store.saveConvoy(convoy2);
      await store.saveMergeRequest(mr2);
      await store.saveEscalation(esc2);
      const gate2 = gate({ title: 'Wave 2, retitled', holds: ['gt-3'], beads: ['gt-1'], readyAt: T0 + 700 });
      const settings2 = townSettings({ deaconMode: 'sequential', gateFastPath: false, coldPatrolMs: 0 });
      await store.saveGate(gate2);
      await store.saveTownSettings(settings2);

      expect(await store.loadTown()).toEqual({
        rigs: [rig2],
        polecats: [polecat2],
        beads: [bead2],
        convoys: [convoy2],
        mergeRequests: [mr2],
        escalations: [esc2],
        gates: [gate2],
        settings: settings2,
      });
      expect(await store.listEscalations({})).toEqual([esc2]);
      expect(await store.listGates({})).toEqual([gate2]);
    });

    it('forgets a polecat when it is deleted, and does not fail when it was already gone', async () => {
      await open();
      await store.savePolecat(polecat());
      await store.deletePolecat('alpha/nux');
      await store.deletePolecat('alpha/nux');
      expect((await store.loadTown()).polecats).toEqual([]);
    });

    it('saves rigs, polecats, beads and merge requests together and deletes polecats in one saveAll', async () => {
      await open();
      await store.savePolecat(polecat({ id: 'alpha/gone' }));
      const split = rig({ name: 'alpha-core', lineage: { splitFrom: 'alpha', splitInto: [], mergedInto: null, at: T0 } });
      const moved = polecat({ rig: 'alpha-core' });
      const b = bead({ rig: 'alpha-core' });
      const mr = mergeRequest({ rig: 'alpha-core' });
      await store.saveAll({ rigs: [split], polecats: [moved], deletedPolecats: ['alpha/gone'], beads: [b], mergeRequests: [mr] });
      const town = await store.loadTown();
      expect(town.rigs).toEqual([split]);
      expect(town.polecats).toEqual([moved]);
      expect(town.beads).toEqual([b]);
      expect(town.mergeRequests).toEqual([mr]);
    });

    it('leaves merged, abandoned and escalated requests, finished beads and landed or closed convoys out when the town loads', async () => {
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
      await store.saveMergeRequest(mergeRequest({ id: 'mr-escalated', status: 'escalated', failedCheck: 'test' }));
      await store.saveMergeRequest(mergeRequest({ id: 'mr-rejected', status: 'rejected', failedCheck: 'test' }));

      const town = await store.loadTown();
      expect(town.beads.map((b) => b.id)).toEqual(['gt-open']);
      expect(town.convoys.map((c) => c.id)).toEqual(['cv-open']);
      // A rejected request goes back to its polecat for rework: still in play.
      expect(town.mergeRequests.map((m) => m.id)).toEqual(['mr-queued', 'mr-rejected']);
      // History stays queryable.
      expect(await store.getBead('gt-done')).toEqual(bead({ id: 'gt-done', status: 'done', closedAt: T0 + 6000 }));
      expect((await store.listMergeRequests({ status: ['escalated'] })).map((m) => m.id)).toEqual(['mr-escalated']);
    });

    it('returns the check that rejected a request and its output unchanged when saved and loaded', async () => {
      await open();
      const rejected = mergeRequest({ status: 'rejected', failedCheck: 'typecheck', checkOutput: CHECK_OUTPUT });
      await store.saveMergeRequest(rejected);
      expect((await store.loadTown()).mergeRequests).toEqual([rejected]);
      expect(await store.listMergeRequests({})).toEqual([rejected]);

      // Requeued for another attempt: the fields clear when the engine clears them.
      const requeued = { ...rejected, status: 'queued' as const, attempts: 3, failedCheck: null, checkOutput: null };
      await store.saveMergeRequest(requeued);
      expect((await store.loadTown()).mergeRequests).toEqual([requeued]);
    });

    it('reads a missing rejected counter as 0 when a rig stored before checks existed is loaded', async () => {
      await open();
      await factory.saveLegacyRig(store, rig({ lineage: null }), LEGACY_COUNTERS);
      expect((await store.loadTown()).rigs).toEqual([rig({ lineage: null, counters: { ...LEGACY_COUNTERS, rejected: 0 } })]);
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

  describe('escalations', () => {
    const seed = async () => {
      // Saved out of creation order on purpose; esc-b and esc-c share a createdAt.
      await store.saveEscalation(escalation({ id: 'esc-c', status: 'open', createdAt: T0 + 20 }));
      await store.saveEscalation(
        escalation({ id: 'esc-a', status: 'resolved', createdAt: T0 + 10, resolvedBy: 'ada', resolvedAt: T0 + 30 }),
      );
      await store.saveEscalation(escalation({ id: 'esc-d', status: 'acknowledged', createdAt: T0 + 40 }));
      await store.saveEscalation(escalation({ id: 'esc-b', status: 'open', createdAt: T0 + 20 }));
    };
    const ids = (list: Escalation[]) => list.map((e) => e.id);

    it('returns every escalation newest first, ties by id, when no filter is given', async () => {
      await open();
      await seed();
      expect(ids(await store.listEscalations({}))).toEqual(['esc-d', 'esc-c', 'esc-b', 'esc-a']);
    });

    it('returns only escalations in the given statuses, at most limit, when filtered', async () => {
      await open();
      await seed();
      expect(ids(await store.listEscalations({ status: ['open'] }))).toEqual(['esc-c', 'esc-b']);
      expect(ids(await store.listEscalations({ status: ['resolved', 'acknowledged'] }))).toEqual(['esc-d', 'esc-a']);
      expect(ids(await store.listEscalations({ limit: 2 }))).toEqual(['esc-d', 'esc-c']);
      expect(ids(await store.listEscalations({ status: ['open'], limit: 1 }))).toEqual(['esc-c']);
      expect(await store.listEscalations({ status: [] })).toEqual([]);
      expect(await store.listEscalations({ limit: 0 })).toEqual([]);
    });

    it('loads unresolved escalations in creation order and leaves resolved ones out', async () => {
      await open();
      await seed();
      expect(ids((await store.loadTown()).escalations)).toEqual(['esc-b', 'esc-c', 'esc-d']);
    });

    it('moves an escalation out of the town when it is saved again as resolved', async () => {
      await open();
      await store.saveEscalation(escalation({ status: 'open', acknowledgedBy: null, acknowledgedAt: null }));
      const resolved = escalation({ status: 'resolved', resolvedBy: 'grace', resolvedAt: T0 + 900.5 });
      await store.saveEscalation(resolved);
      expect((await store.loadTown()).escalations).toEqual([]);
      expect(await store.listEscalations({})).toEqual([resolved]);
    });

    it('keeps a stored escalation unchanged when the caller mutates what it saved or listed', async () => {
      await open();
      const e = escalation();
      await store.saveEscalation(e);
      e.reason = 'mutated';
      (await store.listEscalations({}))[0].severity = 'low';
      (await store.loadTown()).escalations[0].status = 'resolved';
      expect(await store.listEscalations({})).toEqual([escalation()]);
    });
  });

  describe('gates', () => {
    const seed = async () => {
      // Saved out of creation order on purpose; gate-b and gate-c share a createdAt.
      await store.saveGate(gate({ id: 'gate-c', createdAt: T0 + 20 }));
      await store.saveGate(
        gate({ id: 'gate-a', status: 'open', createdAt: T0 + 10, readyAt: T0 + 25, openedAt: T0 + 30, openedBy: 'deacon' }),
      );
      await store.saveGate(timerGate({ id: 'gate-d', createdAt: T0 + 40 }));
      await store.saveGate(gate({ id: 'gate-b', kind: 'human', beads: [], createdAt: T0 + 20 }));
      await store.saveGate(
        gate({ id: 'gate-e', status: 'open', createdAt: T0 + 50, readyAt: T0 + 55, openedAt: T0 + 55, openedBy: 'fast-path' }),
      );
    };
    const ids = (list: Gate[]) => list.map((g) => g.id);

    it('returns every gate newest first, ties by id, when no filter is given', async () => {
      await open();
      await seed();
      expect(ids(await store.listGates({}))).toEqual(['gate-e', 'gate-d', 'gate-c', 'gate-b', 'gate-a']);
    });

    it('returns only gates in the given statuses, at most limit, when filtered', async () => {
      await open();
      await seed();
      expect(ids(await store.listGates({ status: ['waiting'] }))).toEqual(['gate-d', 'gate-c', 'gate-b']);
      expect(ids(await store.listGates({ status: ['open'] }))).toEqual(['gate-e', 'gate-a']);
      expect(ids(await store.listGates({ limit: 2 }))).toEqual(['gate-e', 'gate-d']);
      expect(ids(await store.listGates({ status: ['waiting'], limit: 1 }))).toEqual(['gate-d']);
      expect(await store.listGates({ status: [] })).toEqual([]);
      expect(await store.listGates({ limit: 0 })).toEqual([]);
    });

    it('loads waiting gates in creation order and leaves open ones out', async () => {
      await open();
      await seed();
      expect(ids((await store.loadTown()).gates)).toEqual(['gate-b', 'gate-c', 'gate-d']);
    });

    it('moves a gate out of the town when it is saved again as open, and keeps it listed', async () => {
      await open();
      await store.saveGate(gate());
      const opened = gate({ status: 'open', readyAt: T0 + 800.25, openedAt: T0 + 800.5, openedBy: 'ada' });
      await store.saveGate(opened);
      expect((await store.loadTown()).gates).toEqual([]);
      expect(await store.listGates({})).toEqual([opened]);
    });

    it('keeps a stored gate unchanged when the caller mutates what it saved, listed or loaded', async () => {
      await open();
      const g = gate();
      await store.saveGate(g);
      g.holds.push('mutated');
      g.title = 'mutated';
      (await store.listGates({}))[0].beads.push('mutated');
      (await store.loadTown()).gates[0].status = 'open';
      expect(await store.listGates({})).toEqual([gate()]);
    });
  });

  describe('town settings', () => {
    it('loads null settings when none were saved', async () => {
      await open();
      await store.saveRig(rig());
      expect((await store.loadTown()).settings).toBeNull();
    });

    it('returns the settings last saved, every field unchanged', async () => {
      await open();
      await store.saveTownSettings(townSettings());
      expect((await store.loadTown()).settings).toEqual(townSettings());
      const next = townSettings({ deaconMode: 'sequential', tierIntervalsMs: { hot: 1, warm: 2, cold: 3 } });
      await store.saveTownSettings(next);
      expect((await store.loadTown()).settings).toEqual(next);
    });

    it('keeps stored settings unchanged when the caller mutates what it saved or loaded', async () => {
      await open();
      const s = townSettings();
      await store.saveTownSettings(s);
      s.tierIntervalsMs.hot = 1;
      s.gateFastPath = false;
      (await store.loadTown()).settings!.tierIntervalsMs.warm = 2;
      expect((await store.loadTown()).settings).toEqual(townSettings());
    });
  });

  describe('listMergeRequests', () => {
    const seed = async () => {
      await store.saveMergeRequest(mergeRequest({ id: 'a-merged', rig: 'alpha', status: 'merged', updatedAt: T0 + 10 }));
      await store.saveMergeRequest(mergeRequest({ id: 'a-rejected', rig: 'alpha', status: 'rejected', updatedAt: T0 + 30 }));
      await store.saveMergeRequest(mergeRequest({ id: 'b-merged', rig: 'beta', status: 'merged', updatedAt: T0 + 20 }));
      await store.saveMergeRequest(mergeRequest({ id: 'a-queued', rig: 'alpha', status: 'queued', updatedAt: T0 + 20 }));
      await store.saveMergeRequest(mergeRequest({ id: 'b-escalated', rig: 'beta', status: 'escalated', updatedAt: T0 + 5 }));
    };
    const ids = (list: MergeRequest[]) => list.map((m) => m.id);

    it('returns every request, live and finished, newest update first, ties by id, when no filter is given', async () => {
      await open();
      await seed();
      expect(ids(await store.listMergeRequests({}))).toEqual(['a-rejected', 'b-merged', 'a-queued', 'a-merged', 'b-escalated']);
    });

    it('returns only matching requests when rig, status, since and limit are given', async () => {
      await open();
      await seed();
      expect(ids(await store.listMergeRequests({ rig: 'beta' }))).toEqual(['b-merged', 'b-escalated']);
      expect(ids(await store.listMergeRequests({ status: ['merged', 'rejected'] }))).toEqual([
        'a-rejected',
        'b-merged',
        'a-merged',
      ]);
      expect(ids(await store.listMergeRequests({ since: T0 + 20 }))).toEqual(['a-rejected', 'b-merged', 'a-queued']);
      expect(ids(await store.listMergeRequests({ rig: 'alpha', status: ['merged'], since: T0 + 10 }))).toEqual(['a-merged']);
      expect(ids(await store.listMergeRequests({ rig: 'alpha', status: ['merged'], since: T0 + 11 }))).toEqual([]);
      expect(ids(await store.listMergeRequests({ limit: 2 }))).toEqual(['a-rejected', 'b-merged']);
      expect(await store.listMergeRequests({ status: [] })).toEqual([]);
      expect(await store.listMergeRequests({ rig: 'nope' })).toEqual([]);
      expect(await store.listMergeRequests({ limit: 0 })).toEqual([]);
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

    it('pages newest first from a cursor when listed before an id', async () => {
      await open();
      await store.appendEvents([merged(T0 + 1), landed(T0 + 2), merged(T0 + 2, 'beta'), merged(T0 + 3)]);
      const all = await store.listEvents({});
      const first = await store.listEvents({ limit: 2 });
      const second = await store.listEvents({ limit: 2, before: first[1].id });
      expect([...first, ...second].map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect((await store.listEvents({ types: ['mr.merged'], before: first[0].id })).map((e) => e.at - T0)).toEqual([2, 1]);
    });
  });

  describe('audit', () => {
    it('returns audit records with all their fields, newest first, when listed', async () => {
      await open();
      const failed = audit({ at: T0 + 10, action: 'rig.stagger', ok: false, error: 'rig not found', input: ['x', 1, null] });
      await store.appendAudit(audit());
      await store.appendAudit(failed);
      await store.appendAudit(audit({ at: T0 + 5, input: undefined }));

      const withId = <T extends object>(r: T) => ({ ...r, id: expect.any(Number) });
      expect(await store.listAudit(10)).toEqual([failed, audit({ at: T0 + 5, input: null }), audit()].map(withId));
      expect(await store.listAudit(1)).toEqual([withId(failed)]);
    });

    it('pages newest first from a cursor when listed before an id', async () => {
      await open();
      for (const at of [T0 + 1, T0 + 2, T0 + 2, T0 + 3]) await store.appendAudit(audit({ at, action: `a${at - T0}` }));
      const all = await store.listAudit(10);
      expect(all.map((a) => a.at - T0)).toEqual([3, 2, 2, 1]);
      const first = await store.listAudit(2);
      const second = await store.listAudit(2, first[1].id);
      // Two rows at the same time are split across the pages without a gap or a repeat.
      expect([...first, ...second].map((a) => a.id)).toEqual(all.map((a) => a.id));
      expect(await store.listAudit(2, all[3].id)).toEqual([]);
    });

    it('deletes only audit records older than the cut-off when pruned', async () => {
      await open();
      for (const at of [T0 + 1, T0 + 2, T0 + 3]) await store.appendAudit(audit({ at }));
      expect(await store.pruneAudit(T0 + 2)).toBe(1);
      expect((await store.listAudit(10)).map((a) => a.at - T0)).toEqual([3, 2]);
      expect(await store.pruneAudit(T0 + 2)).toBe(0);
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
    await first.saveEscalation(escalation());
    await first.saveGate(gate());
    await first.saveGate(gate({ id: 'gate-open', status: 'open', openedAt: T0 + 700, openedBy: 'deacon' }));
    await first.saveTownSettings(townSettings());
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
        escalations: [escalation()],
        gates: [gate()],
        settings: townSettings(),
      });
      expect((await second.listGates({})).map((g) => g.id)).toEqual(['gate-open', 'gate-1']);
      expect((await second.listEvents({})).map((e) => e.data)).toEqual([merged(T0 + 1)]);
      expect(await second.listAudit(5)).toEqual([{ ...audit(), id: expect.any(Number) }]);
    } finally {
      await second.close();
    }
  });
});

describe('PrismaStore on PostgreSQL across a restart', () => {
  it('still has the town, events and audit when a new client opens the same database', async () => {
    const db = await createTestDatabase({ migrated: true });
    pgDatabases.push(db);
    const first = new PrismaStore(await openPostgresPrisma(db.url));
    await first.saveRig(rig());
    await first.savePolecat(polecat());
    await first.saveBead(bead());
    await first.saveConvoy(convoy());
    await first.saveMergeRequest(mergeRequest());
    await first.saveTownSettings(townSettings());
    await first.appendEvents([merged(T0 + 1)]);
    await first.appendAudit(audit());
    await first.close();

    // A server restart migrates again: nothing is pending, nothing is touched.
    expect(await migratePostgres(db.url)).toEqual([]);
    const second = new PrismaStore(await openPostgresPrisma(db.url));
    try {
      expect(await second.loadTown()).toMatchObject({
        rigs: [rig()],
        polecats: [polecat()],
        beads: [bead()],
        convoys: [convoy()],
        mergeRequests: [mergeRequest()],
        settings: townSettings(),
      });
      expect((await second.listEvents({})).map((e) => e.data)).toEqual([merged(T0 + 1)]);
      expect(await second.listAudit(5)).toEqual([{ ...audit(), id: expect.any(Number) }]);
    } finally {
      await second.close();
    }
  });
});

describe('PrismaStore on SQLite town row', () => {
  it('creates the one Town row on the first settings save and keeps its name and creation time after', async () => {
    const file = path.join(tmp, 'town-row', 'town.db');
    await migrateDatabase(file);
    const store = new PrismaStore(await openSqlitePrisma(file));
    const rows = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT "id", "name", "createdAt", "settings" FROM "Town"').all() as {
          id: string;
          name: string;
          createdAt: number;
          settings: string;
        }[];
      } finally {
        db.close();
      }
    };
    try {
      expect(rows()).toEqual([]);
      const before = Date.now();
      await store.saveTownSettings(townSettings());
      const [created] = rows();
      expect(created).toMatchObject({ id: 'town', name: 'Gas Town' });
      expect(created.createdAt).toBeGreaterThanOrEqual(before);
      expect(created.createdAt).toBeLessThanOrEqual(Date.now());

      await store.saveTownSettings(townSettings({ deaconMode: 'sequential' }));
      expect(rows()).toEqual([{ ...created, settings: JSON.stringify(townSettings({ deaconMode: 'sequential' })) }]);
    } finally {
      await store.close();
    }
  });
});

describe('PrismaStore on SQLite upgraded from the first migration', () => {
  it('keeps records written before checks, gates and the Witness existed and reads their new fields as defaults', async () => {
    // A project root holding only the first migration: migrateDatabase on it builds the
    // database an early install had, with Prisma's own bookkeeping (_prisma_migrations),
    // so the real migrateDatabase afterwards applies exactly the later migrations.
    const root = process.cwd();
    const migrations = path.join(root, 'prisma', 'migrations');
    const first = readdirSync(migrations, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()[0];
    const oldRoot = path.join(tmp, 'old-root');
    mkdirSync(path.join(oldRoot, 'prisma', 'migrations'), { recursive: true });
    copyFileSync(path.join(root, 'prisma.config.ts'), path.join(oldRoot, 'prisma.config.ts'));
    copyFileSync(path.join(root, 'prisma', 'schema.prisma'), path.join(oldRoot, 'prisma', 'schema.prisma'));
    copyFileSync(path.join(migrations, 'migration_lock.toml'), path.join(oldRoot, 'prisma', 'migrations', 'migration_lock.toml'));
    cpSync(path.join(migrations, first), path.join(oldRoot, 'prisma', 'migrations', first), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(oldRoot, 'node_modules'), 'dir');

    const file = path.join(tmp, 'upgrade', 'town.db');
    await migrateDatabase(file, { projectRoot: oldRoot });

    // The row as the first version wrote it: only the columns it knew.
    const db = new Database(file);
    try {
      expect(db.prepare('SELECT migration_name FROM _prisma_migrations').all()).toEqual([{ migration_name: first }]);
      db.prepare(
        `INSERT INTO "MergeRequest" ("id", "rig", "polecatId", "beadId", "branch", "headSha", "status", "priority",
           "attempts", "mergeCommit", "conflictFiles", "enqueuedAt", "updatedAt", "landedAt")
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        'mr-old',
        'alpha',
        'alpha/nux',
        'gt-1',
        'polecat/nux',
        'a'.repeat(40),
        'queued',
        2,
        1,
        null,
        '[]',
        T0 + 100,
        T0 + 200,
        null,
      );
      db.prepare('INSERT INTO "Rig" VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        'alpha',
        '/srv/rigs/alpha',
        'main',
        'active',
        JSON.stringify({ refineryWorkers: 1, agentWorkMs: 12_000 }),
        JSON.stringify(LEGACY_COUNTERS),
        T0,
      );
      // Before the Witness: no health, no strikes.
      db.prepare(
        `INSERT INTO "Polecat" ("id", "rig", "name", "state", "beadId", "branch", "worktreePath", "lastHeartbeatAt",
           "lastProgressAt", "stateSince", "tokensUsed")
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        'alpha/nux',
        'alpha',
        'nux',
        'working',
        'gt-1',
        'polecat/nux',
        '/srv/rigs/alpha/.worktrees/nux',
        T0 + 1000.5,
        T0 + 900,
        T0 + 10,
        3_000_000_000,
      );
    } finally {
      db.close();
    }

    await migrateDatabase(file);
    const store = new PrismaStore(await openSqlitePrisma(file));
    try {
      const old = mergeRequest({
        id: 'mr-old',
        status: 'queued',
        attempts: 1,
        mergeCommit: null,
        conflictFiles: [],
        failedCheck: null,
        checkOutput: null,
        checkRuns: [],
      });
      const town = await store.loadTown();
      expect(town.mergeRequests).toEqual([old]);
      expect(town.escalations).toEqual([]);
      expect(town.rigs.map((r) => r.counters)).toEqual([{ ...LEGACY_COUNTERS, rejected: 0 }]);
      expect(town.polecats).toEqual([polecat({ health: 'ok', strikes: 0 })]);
      expect(town.gates).toEqual([]);
      expect(town.settings).toBeNull();
      // The upgraded database takes the new fields and records.
      const checkRuns = mergeRequest().checkRuns;
      await store.saveMergeRequest({ ...old, status: 'rejected', failedCheck: 'test', checkOutput: CHECK_OUTPUT, checkRuns });
      await store.saveEscalation(escalation());
      expect(await store.listMergeRequests({})).toEqual([
        { ...old, status: 'rejected', failedCheck: 'test', checkOutput: CHECK_OUTPUT, checkRuns },
      ]);
      expect(await store.listEscalations({})).toEqual([escalation()]);
      await store.savePolecat(polecat());
      await store.saveGate(gate());
      await store.saveTownSettings(townSettings());
      const upgraded = await store.loadTown();
      expect(upgraded.polecats).toEqual([polecat()]);
      expect(upgraded.gates).toEqual([gate()]);
      expect(upgraded.settings).toEqual(townSettings());
    } finally {
      await store.close();
    }
  });
});

describe('PrismaStore on SQLite with rows written before checks were named', () => {
  /** A migrated database holding rows as written before the rename, opened as a store. */
  async function storeWith(write: (db: Database.Database) => void): Promise<{ store: PrismaStore; file: string }> {
    const file = path.join(tmp, `old-names-${++fileCounter}.db`);
    copyFileSync(template, file);
    const db = new Database(file);
    try {
      write(db);
    } finally {
      db.close();
    }
    return { store: new PrismaStore(await openSqlitePrisma(file)), file };
  }

  it('loads a rig whose settings name its checks `gates` with those checks, and saves them back as `checks`', async () => {
    const { checks, ...rest } = rig().settings;
    const { store, file } = await storeWith((db) =>
      db
        .prepare(
          'INSERT INTO "Rig" ("name", "repoPath", "targetBranch", "status", "settings", "counters", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          'alpha',
          '/srv/rigs/alpha',
          'main',
          'active',
          JSON.stringify({ ...rest, gates: checks }),
          JSON.stringify(rig().counters),
          T0,
        ),
    );
    try {
      const [loaded] = (await store.loadTown()).rigs;
      expect(loaded.settings).toEqual(rig().settings);
      expect(loaded.settings).not.toHaveProperty('gates');
      await store.saveRig(loaded);
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      const row = db.prepare('SELECT "settings" FROM "Rig" WHERE "name" = ?').get('alpha') as { settings: string };
      const stored = JSON.parse(row.settings) as Record<string, unknown>;
      expect(stored.checks).toEqual(checks);
      expect(stored).not.toHaveProperty('gates');
    } finally {
      db.close();
    }
  });

  it('lists an mr.rejected event stored with the failed check as `gate` with it as `check`', async () => {
    const old = {
      type: 'mr.rejected',
      at: T0,
      rig: 'alpha',
      mr: 'mr-1',
      bead: 'gt-1',
      gate: 'typecheck',
      output: CHECK_OUTPUT,
      attempts: 2,
    };
    const { store } = await storeWith((db) =>
      db
        .prepare('INSERT INTO "Event" ("at", "type", "rig", "data") VALUES (?, ?, ?, ?)')
        .run(T0, 'mr.rejected', 'alpha', JSON.stringify(old)),
    );
    try {
      const [event] = await store.listEvents({ types: ['mr.rejected'] });
      const { gate, ...rest } = old;
      expect(event.data).toEqual({ ...rest, check: gate });
    } finally {
      await store.close();
    }
  });
});

describe.each(factories)('$name usage and convoy history', (factory) => {
  let store: TownStore;
  afterEach(async () => {
    await store?.close();
  });

  const usage = (over: Partial<UsageRecord> = {}): UsageRecord => ({
    day: '2026-11-27',
    rig: 'alpha',
    polecatId: 'alpha/nux',
    convoyId: 'cv-1',
    model: 'claude-sonnet-4-5',
    inputTokens: 1000,
    outputTokens: 200,
    costUsd: 0.006,
    ...over,
  });

  it('adds usage up per day, rig, polecat, convoy and model', async () => {
    store = await factory.open();
    await store.addUsage([usage(), usage({ convoyId: null }), usage({ model: 'mystery-model', costUsd: null })]);
    await store.addUsage([usage({ inputTokens: 500, outputTokens: 100, costUsd: 0.003 }), usage({ day: '2026-11-28' })]);
    const all = await store.listUsage({});
    const main = all.find((u) => u.day === '2026-11-27' && u.convoyId === 'cv-1' && u.model === 'claude-sonnet-4-5')!;
    expect(main).toMatchObject({ inputTokens: 1500, outputTokens: 300 });
    expect(main.costUsd).toBeCloseTo(0.009, 9);
    expect(all.find((u) => u.convoyId === null)).toMatchObject({ inputTokens: 1000 });
    expect(all.find((u) => u.model === 'mystery-model')!.costUsd).toBeNull();
    expect(await store.listUsage({ since: '2026-11-28' })).toHaveLength(1);
  });

  it('lists convoys newest first and finds one by id, waves included', async () => {
    store = await factory.open();
    await store.saveConvoy(convoy({ id: 'cv-old', createdAt: T0 }));
    await store.saveConvoy(convoy({ id: 'cv-new', createdAt: T0 + 1, status: 'landed' }));
    expect((await store.listConvoys({})).map((c) => c.id)).toEqual(['cv-new', 'cv-old']);
    expect((await store.listConvoys({ status: ['landed'] })).map((c) => c.id)).toEqual(['cv-new']);
    expect(await store.getConvoy('cv-old')).toEqual(convoy({ id: 'cv-old', createdAt: T0 }));
    expect(await store.getConvoy('cv-none')).toBeNull();
  });
});
