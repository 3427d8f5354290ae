/**
 * The SQLite connection factory: the only place that knows the embedded database is
 * SQLite. Everything above it (PrismaStore) speaks portable Prisma; PostgreSQL is the
 * sibling factory postgres.ts, and database.ts picks one of them.
 */
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from './generated/client';

/** How long a writer waits on a lock held by another connection before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens a PrismaClient on the SQLite file (which must already be migrated, see
 * migrate.ts) and tunes it for a write-through event log:
 * - WAL lets readers (dashboards, the CLI, other processes) run while the engine writes;
 * - synchronous=NORMAL is durable across process crashes in WAL mode and skips an fsync
 *   per commit (a power loss may drop the last commits, not corrupt the file);
 * - a busy timeout so a second process (CLI, `prisma migrate deploy`) waits instead of failing.
 */
export async function openSqlitePrisma(databaseFile: string): Promise<PrismaClient> {
  const adapter = new PrismaBetterSQLite3({
    url: `file:${path.resolve(databaseFile)}`,
    // better-sqlite3's own busy handler (sqlite3_busy_timeout); the pragma below says the same.
    timeout: BUSY_TIMEOUT_MS,
  });
  const prisma = new PrismaClient({ adapter });
  // Pragmas are per connection; the adapter holds one better-sqlite3 connection per
  // client, so setting them once here covers every later query. Raw SQL is the only way to
  // send them through Prisma; $queryRawUnsafe accepts both row-returning (journal_mode)
  // and silent (synchronous) pragmas. Integers in raw results come back as BigInt (the
  // adapter turns on safeIntegers); model queries are unaffected.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$queryRawUnsafe(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return prisma;
}
