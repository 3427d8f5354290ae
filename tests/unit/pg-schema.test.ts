/**
 * The PostgreSQL schema is derived from the SQLite one (npm run db:pg-schema): the checked-in
 * copy must be exactly what the script derives today, so a model added to
 * prisma/schema.prisma without regenerating fails here, with the command that fixes it.
 * (That the PostgreSQL migrations build this schema is tests/integration/pg-migrate.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@/server/config';
import { PG_SCHEMA, REGENERATE, SQLITE_SCHEMA, postgresSchemaFrom } from '../../scripts/pg-schema.mjs';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** loadConfig on just these variables (NODE_ENV as vitest sets it). */
const configWith = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });
const models = (schema: string) => [...schema.matchAll(/^model\s+(\w+)\s*\{[\s\S]*?^\}/gm)].map((m) => m[0]);

describe('the PostgreSQL schema', () => {
  it('has exactly the SQLite schema models, as npm run db:pg-schema derives them', () => {
    const sqlite = readFileSync(SQLITE_SCHEMA, 'utf8');
    const checkedIn = readFileSync(PG_SCHEMA, 'utf8');
    const stale = `prisma/postgres/schema.prisma is stale: run \`${REGENERATE}\` and commit the schema and the migration it writes`;
    expect(models(checkedIn), stale).toEqual(models(sqlite));
    expect(checkedIn, stale).toBe(postgresSchemaFrom(sqlite));
  });

  it('names PostgreSQL and its own client output, and nothing else differs', () => {
    const pg = postgresSchemaFrom(
      'generator client {\n  output = "x"\n}\n\ndatasource db {\n  provider = "sqlite"\n}\n\nmodel A {\n  id Int @id\n}\n',
    );
    expect(pg).toContain('provider = "postgresql"');
    expect(pg).toContain('output     = "../../server/store/generated-pg"');
    expect(pg).not.toContain('sqlite');
    expect(models(pg)).toEqual(['model A {\n  id Int @id\n}']);
  });

  it('tells a schema with a model the PostgreSQL copy lacks from one in step (the CI check)', () => {
    const run = () => spawnSync(process.execPath, ['scripts/pg-schema.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    const ok = run();
    expect(ok.status, ok.stderr).toBe(0);
    const sqlite = readFileSync(SQLITE_SCHEMA, 'utf8');
    const withNode = `${sqlite}\nmodel Node {\n  id String @id\n}\n`;
    expect(models(postgresSchemaFrom(withNode))).not.toEqual(models(readFileSync(PG_SCHEMA, 'utf8')));
  });
});

describe('GT_DATABASE_URL', () => {
  it('selects PostgreSQL when set and the SQLite file under the data directory when not', () => {
    expect(configWith({ GT_DATA_DIR: '/srv/gt' }).database).toEqual({ provider: 'sqlite', file: '/srv/gt/gastown.db' });
    const url = 'postgresql://gt:secret@db.internal:5432/gastown';
    expect(configWith({ GT_DATABASE_URL: url }).database).toEqual({ provider: 'postgresql', url });
    expect(configWith({ GT_DATABASE_URL: 'postgres://db/gastown' }).database.provider).toBe('postgresql');
  });

  it('refuses a URL that is not PostgreSQL at start, saying what it must be', () => {
    for (const bad of ['mysql://db/gastown', 'file:./data/gastown.db', 'not a url', ''])
      expect(() => configWith({ GT_DATABASE_URL: bad }), bad).toThrow(/GT_DATABASE_URL: must be a postgresql:\/\//);
  });
});
