/**
 * What a cluster test's nodes share across "machines": one fresh PostgreSQL database and one
 * Redis under this run's own key prefix (found or started as tests/support/postgres.ts and
 * redis.ts say), with the nodes' environment for them; `close` drops both.
 */
import { createTestDatabase, type TestDatabase } from './postgres';
import { dropPrefix, ensureRedis, redisPrefix, REDIS_URL, type TestRedis } from './redis';

export interface ClusterServices {
  db: TestDatabase;
  redis: TestRedis;
  /** GT_DATABASE_URL, GT_REDIS_URL and GT_REDIS_PREFIX for every node. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function clusterServices(name: string): Promise<ClusterServices> {
  const db = await createTestDatabase();
  const redis = await ensureRedis();
  const prefix = redisPrefix(name);
  return {
    db,
    redis,
    env: { GT_DATABASE_URL: db.url, GT_REDIS_URL: REDIS_URL, GT_REDIS_PREFIX: prefix },
    async close() {
      await dropPrefix(redis, prefix);
      redis.destroy();
      await db.drop();
    },
  };
}
