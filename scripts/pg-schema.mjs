// `npm run db:pg-schema [-- --name <what_changed>]`: regenerates the PostgreSQL schema
// (prisma/postgres/schema.prisma) from the SQLite one (prisma/schema.prisma) and, when the
// models changed, writes the next PostgreSQL migration (prisma/postgres/migrations/<ts>_<name>)
// with `prisma migrate diff` from the checked-in PostgreSQL schema to the new one.
//
// Why a second schema at all: one Prisma schema names one provider, and `prisma migrate
// deploy` does not run on PostgreSQL here (STACK-NOTES), so the server applies these SQL
// files itself (server/store/pg-migrate.ts). The models are the same text; only the
// datasource and the generator's output differ, so the PostgreSQL schema is derived, never
// edited. tests/unit/pg-schema.test.ts fails when the checked-in copy drifts.
//
// `--check` only compares and exits 1 (with the command to run) when the copy is stale.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const SQLITE_SCHEMA = path.join(ROOT, 'prisma', 'schema.prisma');
export const PG_SCHEMA = path.join(ROOT, 'prisma', 'postgres', 'schema.prisma');
export const PG_MIGRATIONS = path.join(ROOT, 'prisma', 'postgres', 'migrations');
export const REGENERATE = 'npm run db:pg-schema -- --name <what_changed>';

const HEADER = [
  '// GENERATED from prisma/schema.prisma by `npm run db:pg-schema`: do not edit.',
  '// Same models as the SQLite schema; only the datasource and the generated client differ.',
  '// Migrations: prisma/postgres/migrations, applied by server/store/pg-migrate.ts.',
  '',
].join('\n');

/** One `block name { ... }` of the schema (generator or datasource), replaced whole. */
function replaceBlock(text, kind, name, body) {
  const re = new RegExp(`^${kind}\\s+${name}\\s*\\{[\\s\\S]*?^\\}`, 'm');
  if (!re.test(text)) throw new Error(`prisma/schema.prisma has no \`${kind} ${name} { ... }\` block`);
  return text.replace(re, `${kind} ${name} {\n${body}\n}`);
}

/** The PostgreSQL schema for the SQLite schema's text: same models, PostgreSQL datasource, its own client. */
export function postgresSchemaFrom(sqliteText) {
  let text = replaceBlock(
    sqliteText,
    'generator',
    'client',
    ['  provider   = "prisma-client"', '  engineType = "client"', '  output     = "../../server/store/generated-pg"'].join('\n'),
  );
  text = replaceBlock(
    text,
    'datasource',
    'db',
    [
      '  provider = "postgresql"',
      '  // Never used to connect: GT_DATABASE_URL reaches the driver adapter (server/store/postgres.ts).',
      '  url      = "postgresql://localhost/gastown"',
    ].join('\n'),
  );
  return HEADER + text;
}

/** Migration folders in apply order (their names start with a UTC timestamp). */
export function migrationNames(dir = PG_MIGRATIONS) {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function prismaDiff(fromArgs, toSchema) {
  const cli = path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js');
  const r = spawnSync(process.execPath, [cli, 'migrate', 'diff', ...fromArgs, '--to-schema-datamodel', toSchema, '--script'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
  if (r.status !== 0) throw new Error(`prisma migrate diff failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const stamp = () => new Date().toISOString().replace(/\D/g, '').slice(0, 14);

function main(argv) {
  const wanted = postgresSchemaFrom(readFileSync(SQLITE_SCHEMA, 'utf8'));
  let current = null;
  try {
    current = readFileSync(PG_SCHEMA, 'utf8');
  } catch {
    /* first run */
  }
  if (argv.includes('--check')) {
    if (current === wanted) return console.log('[db:pg-schema] prisma/postgres/schema.prisma matches prisma/schema.prisma');
    console.error(`[db:pg-schema] prisma/postgres/schema.prisma is stale: run \`${REGENERATE}\` and commit the result`);
    process.exit(1);
  }
  const nameAt = argv.indexOf('--name');
  const name = nameAt >= 0 ? argv[nameAt + 1] : migrationNames().length === 0 ? 'init' : undefined;
  if (name !== undefined && !/^[a-z0-9_]{1,60}$/.test(name)) {
    console.error('[db:pg-schema] --name takes lower-case letters, digits and _ (e.g. --name rig_leases)');
    process.exit(1);
  }
  const hasMigrations = migrationNames().length > 0;
  // The checked-in schema is what the existing migrations build (the PostgreSQL tests
  // apply them and compare), so the next migration is the diff from it to the new one.
  const nextPath = path.join(ROOT, '.tmp', 'pg-schema.next.prisma');
  mkdirSync(path.dirname(nextPath), { recursive: true });
  writeFileSync(nextPath, wanted);
  const sql = prismaDiff(hasMigrations && current !== null ? ['--from-schema-datamodel', PG_SCHEMA] : ['--from-empty'], nextPath);
  const empty = !/^\s*(CREATE|ALTER|DROP)\b/im.test(sql);
  if (!empty && name === undefined) {
    console.error('[db:pg-schema] the models changed: say what with --name <what_changed> (e.g. --name rig_leases)');
    process.exit(1);
  }
  mkdirSync(path.dirname(PG_SCHEMA), { recursive: true });
  writeFileSync(PG_SCHEMA, wanted);
  if (empty) return console.log('[db:pg-schema] models unchanged (comments only): no new migration');
  const dir = path.join(PG_MIGRATIONS, `${stamp()}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'migration.sql'), sql);
  console.log(`[db:pg-schema] wrote ${path.relative(ROOT, PG_SCHEMA)} and ${path.relative(ROOT, dir)}/migration.sql`);
  console.log('[db:pg-schema] next: `npx prisma generate --schema prisma/postgres/schema.prisma`, review the SQL, commit both');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
