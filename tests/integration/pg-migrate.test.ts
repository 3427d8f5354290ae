/**
 * The PostgreSQL migrations as the server applies them (server/store/pg-migrate.ts), on
 * fresh databases of the machine's PostgreSQL: they build exactly the checked-in schema,
 * servers starting together apply each once (the advisory lock), a migration edited after
 * it was applied or one this build lacks stops the start, and a failing one leaves nothing.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_TABLE, migratePostgres, readMigrations } from '@/server/store/pg-migrate';
import { PG_MIGRATIONS, PG_SCHEMA } from '../../scripts/pg-schema.mjs';
import { randomBytes } from 'node:crypto';
import { admin, createTestDatabase, type TestDatabase } from '../support/postgres';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const databases: TestDatabase[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gt-pg-migrate-'));

afterAll(async () => {
  for (const db of databases) await db.drop();
  rmSync(tmp, { recursive: true, force: true });
});

async function fresh(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

async function query<T extends pg.QueryResultRow>(db: TestDatabase, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Tables, columns (type, nullability, default) and indexes of the public schema, sorted. */
async function shape(db: TestDatabase): Promise<string[]> {
  const columns = await query<{ line: string }>(
    db,
    `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '${MIGRATIONS_TABLE}'`,
  );
  const indexes = await query<{ line: string }>(
    db,
    `SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '${MIGRATIONS_TABLE}'`,
  );
  return [...columns, ...indexes].map((r) => r.line).sort();
}

/** A copy of the real migrations folder, to edit. */
function migrationsCopy(): string {
  const dir = mkdtempSync(path.join(tmp, 'migrations-'));
  cpSync(PG_MIGRATIONS, dir, { recursive: true });
  return dir;
}

describe('PostgreSQL migrations', () => {
  it('build exactly the checked-in PostgreSQL schema, and a second start applies nothing', async () => {
    const migrated = await fresh();
    const names = (await readMigrations(PG_MIGRATIONS)).map((m) => m.name);
    expect(await migratePostgres(migrated.url, { projectRoot: ROOT })).toEqual(names);
    expect(await migratePostgres(migrated.url, { projectRoot: ROOT })).toEqual([]);

    // The schema as Prisma would create it from scratch, applied to another database.
    const cli = path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js');
    const diff = spawnSync(
      process.execPath,
      [cli, 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', PG_SCHEMA, '--script'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } },
    );
    expect(diff.status, diff.stderr).toBe(0);
    const direct = await fresh();
    await query(direct, diff.stdout);
    expect(await shape(migrated), 'the migrations do not build prisma/postgres/schema.prisma: run npm run db:pg-schema').toEqual(
      await shape(direct),
    );
  }, 120_000);

  it('applies each migration once when several servers start together on an empty database', async () => {
    const db = await fresh();
    const runs = await Promise.all([1, 2, 3].map(() => migratePostgres(db.url, { projectRoot: ROOT })));
    const names = (await readMigrations(PG_MIGRATIONS)).map((m) => m.name);
    expect(runs.flat().sort()).toEqual(names);
    expect(await query(db, `SELECT name FROM "${MIGRATIONS_TABLE}" ORDER BY name`)).toEqual(names.map((name) => ({ name })));
  });

  it('refuses to start when an applied migration was edited since, and changes nothing', async () => {
    const db = await fresh();
    const dir = migrationsCopy();
    await migratePostgres(db.url, { migrationsDir: dir });
    const [first] = await readMigrations(dir);
    appendFileSync(path.join(dir, first.name, 'migration.sql'), '\nALTER TABLE "Bead" ADD COLUMN "sneaky" TEXT;\n');
    await expect(migratePostgres(db.url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`migration ${first.name} changed after it was applied`),
    );
    const sneaky = await query(db, `SELECT 1 FROM information_schema.columns WHERE column_name = 'sneaky'`);
    expect(sneaky).toEqual([]);
  });

  it('refuses to start on a database migrated by a newer build', async () => {
    const db = await fresh();
    const dir = migrationsCopy();
    mkdirSync(path.join(dir, '29991231000000_from_the_future'));
    writeFileSync(path.join(dir, '29991231000000_from_the_future', 'migration.sql'), 'CREATE TABLE "Future" (id TEXT);\n');
    await migratePostgres(db.url, { migrationsDir: dir });
    await expect(migratePostgres(db.url, { projectRoot: ROOT })).rejects.toThrow(
      /has migration 29991231000000_from_the_future, which this build does not have/,
    );
  });

  it('leaves no trace of a migration that fails, and applies it once it is fixed', async () => {
    const db = await fresh();
    const dir = migrationsCopy();
    await migratePostgres(db.url, { migrationsDir: dir });
    const next = path.join(dir, '29991231000000_add_owner');
    mkdirSync(next);
    writeFileSync(
      path.join(next, 'migration.sql'),
      'ALTER TABLE "Rig" ADD COLUMN "owner" TEXT;\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n',
    );
    await expect(migratePostgres(db.url, { migrationsDir: dir })).rejects.toThrow(/migration 29991231000000_add_owner failed/);
    const owner = `SELECT column_name FROM information_schema.columns WHERE table_name = 'Rig' AND column_name = 'owner'`;
    expect(await query(db, owner)).toEqual([]);
    expect(await query(db, `SELECT name FROM "${MIGRATIONS_TABLE}" WHERE name LIKE '2999%'`)).toEqual([]);

    writeFileSync(path.join(next, 'migration.sql'), 'ALTER TABLE "Rig" ADD COLUMN "owner" TEXT;\n');
    expect(await migratePostgres(db.url, { migrationsDir: dir })).toEqual(['29991231000000_add_owner']);
    expect(await query(db, owner)).toEqual([{ column_name: 'owner' }]);
  });

  it('says the user must be allowed to create tables when it may not, and creates nothing', async () => {
    const db = await fresh();
    const role = `gt_test_role_${randomBytes(4).toString('hex')}`; // ours, not input: safe in DDL
    await admin((c) => c.query(`CREATE ROLE ${role} LOGIN`));
    try {
      const url = new URL(db.url);
      url.username = role;
      await expect(migratePostgres(url.toString(), { projectRoot: ROOT })).rejects.toThrow(
        /cannot create the _gt_migrations table: permission denied .*must be allowed to create tables/,
      );
      expect(await query(db, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).toEqual([]);
    } finally {
      await db.drop();
      await admin((c) => c.query(`DROP ROLE ${role}`));
    }
  });

  it('says where it could not connect, without the password', async () => {
    await expect(migratePostgres('postgresql://gt:hunter2@127.0.0.1:1/gastown', { projectRoot: ROOT })).rejects.toThrow(
      /cannot connect to PostgreSQL at postgresql:\/\/gt:\*\*\*@127\.0\.0\.1:1\/gastown/,
    );
    await expect(migratePostgres('postgresql://gt:hunter2@127.0.0.1:1/gastown', { projectRoot: ROOT })).rejects.not.toThrow(
      /hunter2/,
    );
  });
});
