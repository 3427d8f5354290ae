/**
 * Prisma CLI configuration. Prisma 6's native schema engine cannot be downloaded in
 * this offline setting, so the CLI (generate, migrate deploy, migrate diff, db push)
 * runs on the JavaScript engine through the better-sqlite3 driver adapter.
 *
 * DATABASE_URL (`file:<path>`) picks the database; a relative path resolves against the
 * working directory (server/store/migrate.ts always passes an absolute one). The
 * adapter factory creates the file's directory first because every CLI command, even
 * `migrate diff --from-empty`, opens the database, and a missing directory otherwise
 * fails with an opaque "External error id#0".
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

const url = process.env.DATABASE_URL ?? 'file:./data/gastown.db';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => {
    const file = url.replace(/^file:/, '');
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return new PrismaBetterSQLite3({ url });
  },
});
