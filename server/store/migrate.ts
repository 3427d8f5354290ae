/**
 * Applies pending Prisma migrations at server start, so an empty data directory just
 * works. We run the project's own Prisma CLI (`migrate deploy`) instead of re-implementing
 * migration bookkeeping: it records applied migrations in `_prisma_migrations` and is a
 * no-op when nothing is pending. This is SQLite's path; on PostgreSQL `migrate deploy`
 * does not run here (STACK-NOTES), so pg-migrate.ts applies that schema's migrations.
 *
 * The CLI runs on the JS engine through prisma.config.ts (see STACK-NOTES: the native
 * engines cannot be downloaded here). It is spawned with an argument array, never a shell
 * string, and with DATABASE_URL pointing at the absolute database path.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface MigrateOptions {
  /** Directory holding prisma.config.ts, prisma/ and node_modules/. Default: the working directory. */
  projectRoot?: string;
  /** Kills the CLI after this long. Default 60 s (a cold start takes about a second). */
  timeoutMs?: number;
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n--- prisma migrate deploy output ---\n${output.trim()}`);
    this.name = 'MigrationError';
  }
}

/** Brings the SQLite file at `databaseFile` (created if missing) up to the latest schema. */
export async function migrateDatabase(databaseFile: string, options: MigrateOptions = {}): Promise<void> {
  const root = path.resolve(options.projectRoot ?? process.cwd());
  const cli = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
  for (const needed of [cli, path.join(root, 'prisma.config.ts')]) {
    if (!existsSync(needed)) {
      throw new MigrationError(`cannot migrate: ${needed} not found (projectRoot is ${root})`, '');
    }
  }
  const file = path.resolve(databaseFile);
  mkdirSync(path.dirname(file), { recursive: true });
  if (!hasPendingMigrations(file, path.join(root, 'prisma', 'migrations'))) return;

  const { code, output } = await run(process.execPath, [cli, 'migrate', 'deploy'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: `file:${file}`,
      // No update checks or telemetry pings from a server start (and no network here).
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  if (code !== 0) {
    throw new MigrationError(`migrating ${file} failed (exit ${code})`, output);
  }
}

function run(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n(killed after ${opts.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new MigrationError(`could not start the Prisma CLI: ${err.message}`, output));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Whether any migration folder is not recorded as applied in the file. The CLI is only
 * started when one is: it takes the write lock even when there is nothing to do, and on a
 * file other servers are writing (cluster nodes sharing one, docs/cluster.md) it fails
 * instead of waiting. Read-only; a missing file or table means everything is pending.
 */
function hasPendingMigrations(file: string, migrationsDir: string): boolean {
  if (!existsSync(file)) return true;
  const wanted = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
    const rows = db
      .prepare('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL')
      .all() as Array<{ migration_name: string }>;
    const applied = new Set(rows.map((r) => r.migration_name));
    return wanted.some((name) => !applied.has(name));
  } catch {
    return true;
  } finally {
    db?.close();
  }
}
