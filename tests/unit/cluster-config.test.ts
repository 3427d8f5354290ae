/** Cluster mode's configuration (server/config.ts, docs/cluster.md): off unless asked, checked at start. */
import { describe, expect, it } from 'vitest';
import { loadConfig as load } from '../../server/config';

const loadConfig = (vars: Record<string, string>) => load(vars as NodeJS.ProcessEnv);

describe('cluster configuration', () => {
  it('runs a single server, with no cluster at all, by default', () => {
    expect(loadConfig({}).cluster).toBeNull();
    expect(loadConfig({ GT_CLUSTER: '0', GT_DATABASE_URL: 'postgresql://localhost/gt' }).cluster).toBeNull();
  });

  it('makes the server a node with GT_CLUSTER=1, or a shared database URL, named by GT_NODE or the host name', () => {
    expect(loadConfig({ GT_CLUSTER: '1', GT_NODE: 'node-a', GT_HEARTBEAT_MS: '500', GT_LEASE_TTL_MS: '3000' }).cluster).toEqual({
      node: 'node-a',
      heartbeatMs: 500,
      leaseTtlMs: 3000,
    });
    const byUrl = loadConfig({ GT_DATABASE_URL: 'postgresql://localhost/gt' }).cluster;
    expect(byUrl).toMatchObject({ heartbeatMs: 2000, leaseTtlMs: 10_000 });
    expect(byUrl?.node).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);
  });

  it('refuses a lease TTL under two heartbeats and a node name that is not a plain word', () => {
    expect(() => loadConfig({ GT_CLUSTER: '1', GT_HEARTBEAT_MS: '2000', GT_LEASE_TTL_MS: '3000' })).toThrow(/at least twice/);
    expect(() => loadConfig({ GT_CLUSTER: '1', GT_NODE: '../etc' })).toThrow(/GT_NODE/);
    expect(() => loadConfig({ GT_CLUSTER: '1', GT_NODE: 'a b' })).toThrow(/GT_NODE/);
  });

  it('shares one SQLite file when GT_DATABASE_FILE names it', () => {
    expect(loadConfig({ GT_DATA_DIR: '/srv/a', GT_DATABASE_FILE: '/srv/shared.db' }).databaseFile).toBe('/srv/shared.db');
    expect(loadConfig({ GT_DATA_DIR: '/srv/a' }).databaseFile).toBe('/srv/a/gastown.db');
  });
});
