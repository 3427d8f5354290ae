/**
 * The PostgreSQL connection factory, sibling of sqlite.ts: the only place that knows the
 * shared database is PostgreSQL. The database must already be migrated (pg-migrate.ts).
 *
 * Its client is the one generated from prisma/postgres/schema.prisma; the stores take it as
 * a StoreClient (client.ts says why that one cast is sound and how it is checked).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated-pg/client';
import type { StoreClient } from './client';

/** Connections the server's pool may hold: the engine writes through one at a time per rig. */
const POOL_SIZE = 10;

export async function openPostgresPrisma(url: string): Promise<StoreClient> {
  const adapter = new PrismaPg({ connectionString: url, max: POOL_SIZE });
  const prisma = new PrismaClient({ adapter });
  // Connect now, so a wrong URL or a stopped server fails the start, not the first write.
  await prisma.$connect();
  return prisma as unknown as StoreClient;
}
