/**
 * Applies the PostgreSQL migrations (prisma/postgres/migrations, written by
 * `npm run db:pg-schema`) at server start. `prisma migrate deploy` cannot do it here (its JS
 * engine fails on PostgreSQL, STACK-NOTES), so this is the small part of it we need:
 *
 * - one dedicated connection holds a session advisory lock for the whole run, so servers
 *   starting together migrate one after the other (the second finds nothing pending);
 *   the lock is released and the connection closed afterwards, never shared with a pool;
 * - each migration runs in its own transaction with its row in `_gt_migrations` (name,
 *   sha-256 of the file), so a failed one leaves no trace and is retried at the next start;
 * - an applied migration whose file changed since, or one this build does not have (a newer
 *   server migrated the database), stops the start: running on a schema the code does not
 *   describe would corrupt records quietly.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/** Table recording applied migrations (Prisma's own `_prisma_migrations` is left alone). */
export const MIGRATIONS_TABLE = '_gt_migrations';
/** pg_advisory_lock key held while migrating: any fixed bigint, the same for every server. */
export const MIGRATION_LOCK_KEY = 4_715_273_013_600_521n;

export class PgMigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgMigrationError';
  }
}

export interface PgMigrateOptions {
  /** Folder of `<timestamp>_<name>/migration.sql`. Default: <projectRoot>/prisma/postgres/migrations. */
  migrationsDir?: string;
  projectRoot?: string;
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The URL with its password hidden, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

/** sha-256 of the SQL with line endings normalised (a checkout with CRLF is the same migration). */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export async function readMigrations(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new PgMigrationError(`cannot read the PostgreSQL migrations in ${dir}: ${err.message}`);
  });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: checksumOf(sql) };
    }),
  );
}

/** Brings the PostgreSQL database at `url` up to the latest schema; returns the names it applied. */
export async function migratePostgres(url: string, options: PgMigrateOptions = {}): Promise<string[]> {
  const root = path.resolve(options.projectRoot ?? process.cwd());
  const dir = options.migrationsDir ?? path.join(root, 'prisma', 'postgres', 'migrations');
  const migrations = await readMigrations(dir);
  if (migrations.length === 0) throw new PgMigrationError(`no PostgreSQL migrations in ${dir}`);

  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    throw new PgMigrationError(`cannot connect to PostgreSQL at ${redactDatabaseUrl(url)}: ${(err as Error).message}`);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      return await applyPending(client, migrations);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await client.end();
  }
}

async function applyPending(client: pg.Client, migrations: Migration[]): Promise<string[]> {
  await client
    .query(
      `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
         name TEXT PRIMARY KEY,
         checksum TEXT NOT NULL,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    )
    .catch((err: Error) => {
      throw new PgMigrationError(
        `cannot create the ${MIGRATIONS_TABLE} table: ${err.message} (the GT_DATABASE_URL user must be allowed to create tables in the database)`,
      );
    });
  const { rows } = await client.query<{ name: string; checksum: string }>(
    `SELECT name, checksum FROM "${MIGRATIONS_TABLE}" ORDER BY name`,
  );
  const known = new Map(migrations.map((m) => [m.name, m]));
  for (const row of rows) {
    const mine = known.get(row.name);
    if (!mine)
      throw new PgMigrationError(
        `the database has migration ${row.name}, which this build does not have: it was migrated by a newer version; run that version (or newer)`,
      );
    if (mine.checksum !== row.checksum)
      throw new PgMigrationError(
        `migration ${row.name} changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${mine.checksum.slice(0, 12)}… on disk): ` +
          'restore the file as it was and put the change in a new migration (npm run db:pg-schema)',
      );
  }
  const done = new Set(rows.map((r) => r.name));
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.name)) continue;
    await client.query('BEGIN');
    try {
      await client.query(m.sql);
      await client.query(`INSERT INTO "${MIGRATIONS_TABLE}" (name, checksum) VALUES ($1, $2)`, [m.name, m.checksum]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw new PgMigrationError(`PostgreSQL migration ${m.name} failed: ${(err as Error).message}`);
    }
    applied.push(m.name);
  }
  return applied;
}
