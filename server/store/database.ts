/**
 * Store selection: brings the configured database up to date and opens the client the
 * stores share. SQLite (a file under GT_DATA_DIR) is the default and needs nothing running;
 * GT_DATABASE_URL selects PostgreSQL, which several servers of one town can share.
 */
import type { DatabaseConfig } from '../config';
import type { StoreClient } from './client';
import { migrateDatabase } from './migrate';
import { migratePostgres, redactDatabaseUrl } from './pg-migrate';
import { openPostgresPrisma } from './postgres';
import { openSqlitePrisma } from './sqlite';

export interface StoreDatabase {
  client: StoreClient;
  /** For the rare code that sends SQL (raw SQL differs between the two). */
  provider: DatabaseConfig['provider'];
  /** What to print at start: the file, or the URL without its password. */
  description: string;
}

export async function openStoreDatabase(config: DatabaseConfig, projectRoot: string): Promise<StoreDatabase> {
  if (config.provider === 'postgresql') {
    await migratePostgres(config.url, { projectRoot });
    return { client: await openPostgresPrisma(config.url), provider: 'postgresql', description: redactDatabaseUrl(config.url) };
  }
  await migrateDatabase(config.file, { projectRoot });
  return { client: await openSqlitePrisma(config.file), provider: 'sqlite', description: config.file };
}
