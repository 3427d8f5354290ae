/**
 * The cluster settings of server/config.ts (docs/cluster.md): without them a server is one
 * node alone and needs no Redis; with them, a bad value stops the server at start with the
 * variable named (not a node that silently runs alone).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import { redactRedisUrl } from '../../server/realtime/redis-link';

const config = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

describe('cluster configuration', () => {
  it('needs no Redis by default, and names the node after the host', () => {
    const c = config({});
    expect(c.redisUrl).toBeNull();
    expect(c.redisPrefix).toBe('gastown');
    expect(c.node).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);
  });

  it('takes a redis:// or rediss:// URL, a prefix and a node name', () => {
    const c = config({ GT_REDIS_URL: 'rediss://:secret@cache.internal:6380/2', GT_REDIS_PREFIX: 'town-7', GT_NODE: 'east-1' });
    expect(c).toMatchObject({ redisUrl: 'rediss://:secret@cache.internal:6380/2', redisPrefix: 'town-7', node: 'east-1' });
  });

  it('refuses what is not a Redis URL, a prefix with spaces, or a node name with a slash', () => {
    expect(() => config({ GT_REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/GT_REDIS_URL/);
    expect(() => config({ GT_REDIS_URL: 'localhost:6379' })).toThrow(/GT_REDIS_URL/);
    expect(() => config({ GT_REDIS_PREFIX: 'my town' })).toThrow(/GT_REDIS_PREFIX/);
    expect(() => config({ GT_NODE: 'a/b' })).toThrow(/GT_NODE/);
    expect(() => config({ GT_NODE: 'x'.repeat(64) })).toThrow(/GT_NODE/);
  });

  it('never prints the Redis password', () => {
    expect(redactRedisUrl('redis://user:hunter2@cache:6379/0')).toBe('redis://user:***@cache:6379/0');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).not.toContain('***');
    expect(redactRedisUrl('not a url')).toBe('redis://(unparsable)');
  });

  it('runs a single server, with no cluster at all, by default', () => {
    expect(config({}).cluster).toBeNull();
    expect(config({ GT_CLUSTER: '0', GT_DATABASE_URL: 'postgresql://localhost/gt' }).cluster).toBeNull();
  });

  it('makes the server a node with GT_CLUSTER=1, or a shared database URL, named by GT_NODE or the host name', () => {
    expect(config({ GT_CLUSTER: '1', GT_NODE: 'node-a', GT_HEARTBEAT_MS: '500', GT_LEASE_TTL_MS: '3000' }).cluster).toEqual({
      node: 'node-a',
      heartbeatMs: 500,
      leaseTtlMs: 3000,
      secret: null,
    });
    const byUrl = config({ GT_DATABASE_URL: 'postgresql://localhost/gt' }).cluster;
    expect(byUrl).toMatchObject({ heartbeatMs: 2000, leaseTtlMs: 10_000 });
    expect(byUrl?.node).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);
  });

  it('refuses a lease TTL under two heartbeats and a node name that is not a plain word', () => {
    expect(() => config({ GT_CLUSTER: '1', GT_HEARTBEAT_MS: '2000', GT_LEASE_TTL_MS: '3000' })).toThrow(/at least twice/);
    expect(() => config({ GT_CLUSTER: '1', GT_NODE: '../etc' })).toThrow(/GT_NODE/);
    expect(() => config({ GT_CLUSTER: '1', GT_NODE: 'a b' })).toThrow(/GT_NODE/);
  });

  it('takes the cluster secret that signs forwarded requests, and refuses a short one', () => {
    expect(config({ GT_CLUSTER: '1', GT_CLUSTER_SECRET: 'sixteen-chars-ok' }).cluster?.secret).toBe('sixteen-chars-ok');
    expect(() => config({ GT_CLUSTER: '1', GT_CLUSTER_SECRET: 'short' })).toThrow(/GT_CLUSTER_SECRET/);
  });

  it('shares one SQLite file when GT_DATABASE_FILE names it', () => {
    expect(config({ GT_DATA_DIR: '/srv/a', GT_DATABASE_FILE: '/srv/shared.db' }).database).toEqual({
      provider: 'sqlite',
      file: '/srv/shared.db',
    });
    expect(config({ GT_DATA_DIR: '/srv/a' }).database).toEqual({ provider: 'sqlite', file: '/srv/a/gastown.db' });
  });
});
