/**
 * A fresh PostgreSQL database per test (or per file): created on the machine's PostgreSQL
 * (found, started or installed by scripts/postgres-service.mjs) as gt_test_<random>, and
 * dropped afterwards, so tests never see each other's rows and leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { ensurePostgres } from '../../scripts/postgres-service.mjs';
import type { StoreClient } from '@/server/store/client';
import { migratePostgres } from '@/server/store/pg-migrate';
import { openPostgresPrisma } from '@/server/store/postgres';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface TestDatabase {
  /** gt_test_<random>. */
  name: string;
  /** Connection URL of the new database. */
  url: string;
  /** Drops it (closing whatever connections are left). */
  drop(): Promise<void>;
}

/** Runs `run` on a connection to the server's `postgres` database as its superuser. */
export async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: await ensurePostgres() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * An empty database; `migrated` also applies the PostgreSQL migrations, as the server does
 * at start; `template` copies another test database instead (much faster than migrating
 * again; the template must have no open connections).
 */
export async function createTestDatabase(options: { migrated?: boolean; template?: TestDatabase } = {}): Promise<TestDatabase> {
  const name = `gt_test_${randomBytes(6).toString('hex')}`;
  // Names are ours (hex), never input: safe in DDL, which takes no parameters.
  const from = options.template ? ` TEMPLATE ${new URL(options.template.url).pathname.slice(1)}` : '';
  await admin((c) => c.query(`CREATE DATABASE ${name}${from}`));
  const url = new URL(await ensurePostgres());
  url.pathname = `/${name}`;
  const db: TestDatabase = {
    name,
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
  if (options.migrated) await migratePostgres(db.url, { projectRoot: ROOT });
  return db;
}

/** A migrated database and a client on it; close() disconnects and drops it. */
export async function openTestPostgres(): Promise<{ db: TestDatabase; client: StoreClient; close(): Promise<void> }> {
  const db = await createTestDatabase({ migrated: true });
  const client = await openPostgresPrisma(db.url);
  return {
    db,
    client,
    close: async () => {
      await client.$disconnect();
      await db.drop();
    },
  };
}
