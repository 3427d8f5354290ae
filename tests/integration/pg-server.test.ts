/**
 * The real server on PostgreSQL: GT_DATABASE_URL points it at a fresh database, which it
 * migrates at start; a bead created through the API is a row there (no SQLite file is
 * made), and it is still there after the server is stopped and started again.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_TABLE } from '@/server/store/pg-migrate';
import { rawRequest, startTestServer, type TestServer } from '../support/http-server';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const OPERATOR = 'operator-token-pg-server';

let db: TestDatabase | undefined;
let server: TestServer | undefined;

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

async function rows<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db!.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('the server on PostgreSQL', () => {
  it('migrates an empty database, keeps a bead created through the API there, and has it after a restart', async () => {
    db = await createTestDatabase();
    const env = {
      GT_DATABASE_URL: db.url,
      // One server on PostgreSQL (a shared database otherwise makes it a cluster node, which seeds no demo).
      GT_CLUSTER: '0',
      GT_OPERATOR_TOKEN: OPERATOR,
      GT_DEMO: '1',
      GT_DEMO_RIGS: '1',
      GT_DEMO_POLECATS: '1',
    };
    const auth = { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' };
    server = await startTestServer({ env });
    expect(server.run.output()).toContain('postgresql postgresql://');

    const created = await rawRequest(server, '/api/beads', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ rig: 'myproject', title: 'Kept in PostgreSQL', priority: 0, paths: ['core/'] }),
    });
    expect(created.status).toBe(201);
    const id = (created.json as { id: string }).id;
    expect(id).toMatch(/\S/);
    // Written through to PostgreSQL, not to a SQLite file in the data directory.
    expect(await rows('SELECT title FROM "Bead" WHERE id = $1', [id])).toEqual([{ title: 'Kept in PostgreSQL' }]);
    expect(existsSync(path.join(server.dataDir, 'gastown.db'))).toBe(false);
    const applied = await rows<{ name: string }>(`SELECT name FROM "${MIGRATIONS_TABLE}" ORDER BY name`);
    expect(applied.length).toBeGreaterThan(0);

    const dataDir = server.dataDir;
    await server.stop({ keepData: true });
    server = await startTestServer({ env, dataDir });
    expect(server.run.output()).toContain('resumed');

    const after = await rawRequest(server, `/api/beads/${id}`, { headers: auth });
    expect(after.status).toBe(200);
    expect(after.json).toMatchObject({ id, title: 'Kept in PostgreSQL', rig: 'myproject', priority: 0 });
    // The restart found nothing to migrate: the same migrations, each recorded once.
    expect(await rows(`SELECT name FROM "${MIGRATIONS_TABLE}" ORDER BY name`)).toEqual(applied);
  }, 300_000);
});
