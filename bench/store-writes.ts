/**
 * `npm run bench -- pg-store`: write throughput of the town store on PostgreSQL beside
 * SQLite's, through the same PrismaStore. The mix is what the engine writes as work moves:
 * per cycle a bead update, a polecat update, a merge request update, a batch of 4 events
 * and a landing (bead + polecat + merge request in one transaction): 5 writes, 10 records.
 * Ids cycle over 200 beads, so after the first round the upserts are updates, as in a
 * running town. One writer is the engine's serial write-through queue; 4 writers are what
 * several rigs (or several servers sharing PostgreSQL) add up to.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Bead, MergeRequest, Polecat } from '../contracts/records';
import type { DomainEvent } from '../contracts/events';
import type { TownStore } from '../server/engine/ports';
import { migrateDatabase } from '../server/store/migrate';
import { PrismaStore } from '../server/store/prisma-store';
import { openSqlitePrisma } from '../server/store/sqlite';
import { migratePostgres } from '../server/store/pg-migrate';
import { openPostgresPrisma } from '../server/store/postgres';
import { createTestDatabase } from '../tests/support/postgres';

const CYCLES = 600;
const POOL = 200;
const RECORDS_PER_CYCLE = 10;

function bead(i: number, at: number): Bead {
  return {
    id: `gt-${i % POOL}`,
    title: `Bead ${i % POOL}`,
    description: 'Token bucket in front of the API client.',
    status: i % 2 ? 'in_progress' : 'hooked',
    priority: 2,
    labels: ['api'],
    dependsOn: [],
    issueType: 'task',
    parent: null,
    related: [],
    paths: ['src/api/**'],
    rig: 'alpha',
    assignee: `alpha/p${i % 8}`,
    convoyId: null,
    createdAt: 1_790_000_000_000,
    updatedAt: at,
    closedAt: null,
  };
}

function polecat(i: number, at: number): Polecat {
  return {
    id: `alpha/p${i % 8}`,
    rig: 'alpha',
    name: `p${i % 8}`,
    state: 'working',
    beadId: `gt-${i % POOL}`,
    branch: `polecat/p${i % 8}`,
    worktreePath: `/srv/rigs/alpha/.worktrees/p${i % 8}`,
    lastHeartbeatAt: at,
    lastProgressAt: at,
    stateSince: at - 1000,
    tokensUsed: i * 1000,
    health: 'ok',
    strikes: 0,
  };
}

function mergeRequest(i: number, at: number): MergeRequest {
  return {
    id: `mr-${i % POOL}`,
    rig: 'alpha',
    polecatId: `alpha/p${i % 8}`,
    beadId: `gt-${i % POOL}`,
    branch: `polecat/p${i % 8}`,
    headSha: 'a'.repeat(40),
    status: i % 2 ? 'queued' : 'merged',
    priority: 2,
    attempts: 1,
    mergeCommit: i % 2 ? null : 'b'.repeat(40),
    conflictFiles: [],
    checkRuns: [],
    failedCheck: null,
    checkOutput: null,
    enqueuedAt: at - 5000,
    updatedAt: at,
    landedAt: i % 2 ? null : at,
  };
}

const event = (i: number, at: number): DomainEvent => ({
  type: 'mr.merged',
  at,
  rig: 'alpha',
  mr: `mr-${i % POOL}`,
  bead: `gt-${i % POOL}`,
  mergeCommit: 'c'.repeat(40),
  attempts: 1,
  queueMs: 1234.5,
  mergeMs: 12,
});

interface Run {
  writesPerS: number;
  recordsPerS: number;
  p50: number;
  p95: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function writeMix(store: TownStore, writers: number): Promise<Run> {
  const latencies: number[] = [];
  const timed = async (write: () => Promise<void>) => {
    const t = performance.now();
    await write();
    latencies.push(performance.now() - t);
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      // Each writer its own slice of ids (as rigs have their own records).
      for (let c = w; c < CYCLES; c += writers) {
        const at = 1_790_000_000_000 + c;
        const i = c;
        await timed(() => store.saveBead(bead(i, at)));
        await timed(() => store.savePolecat(polecat(i, at)));
        await timed(() => store.saveMergeRequest(mergeRequest(i, at)));
        await timed(() => store.appendEvents([0, 1, 2, 3].map((k) => event(i, at + k))));
        await timed(() =>
          store.saveAll({ beads: [bead(i, at + 4)], polecats: [polecat(i, at + 4)], mergeRequests: [mergeRequest(i, at + 4)] }),
        );
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    writesPerS: latencies.length / seconds,
    recordsPerS: (CYCLES * RECORDS_PER_CYCLE) / seconds,
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
  };
}

async function withSqlite<T>(run: (store: TownStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-bench-store-'));
  const file = path.join(dir, 'gastown.db');
  await migrateDatabase(file);
  const store = new PrismaStore(await openSqlitePrisma(file));
  try {
    return await run(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function withPostgres<T>(run: (store: TownStore) => Promise<T>): Promise<T> {
  const db = await createTestDatabase();
  try {
    await migratePostgres(db.url, { projectRoot: path.resolve(import.meta.dirname, '..') });
    const store = new PrismaStore(await openPostgresPrisma(db.url));
    try {
      return await run(store);
    } finally {
      await store.close();
    }
  } finally {
    await db.drop();
  }
}

export async function printStoreWrites(): Promise<void> {
  console.log(
    `\nTown store write throughput: ${CYCLES} cycles of bead + polecat + merge request updates, 4 events, ` +
      `one 3-record landing transaction (${RECORDS_PER_CYCLE} records, 5 writes a cycle)\n`,
  );
  console.log('database     writers  writes/s  records/s  write p50  write p95');
  for (const [name, open] of [
    ['SQLite', withSqlite],
    ['PostgreSQL', withPostgres],
  ] as const) {
    for (const writers of [1, 4]) {
      const r = await open((store) => writeMix(store, writers));
      console.log(
        [
          name.padEnd(12),
          String(writers).padStart(7),
          r.writesPerS.toFixed(0).padStart(9),
          r.recordsPerS.toFixed(0).padStart(10),
          `${r.p50.toFixed(2)} ms`.padStart(10),
          `${r.p95.toFixed(2)} ms`.padStart(10),
        ].join(' '),
      );
    }
  }
  console.log("\n(PostgreSQL: the machine's server on 127.0.0.1:5432, a fresh database per run, found as the tests find it)");
}
