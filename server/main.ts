/**
 * The composition root: one process, one HTTP server carrying the Next.js pages, the
 * JSON API (route handlers under app/api) and socket.io, with the engine embedded.
 *
 * Start order: config -> data directory -> migrations -> store -> engine (reconciled with
 * git) -> demo seed on an empty town -> engine started -> Next prepared -> listen.
 * Stop order (SIGINT/SIGTERM): stop accepting requests -> realtime closed -> engine
 * stopped (the merge in hand finishes, agents parked) -> writes drained -> database closed.
 */
import { createServer } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import next from 'next';
import { createCommandBus } from './commands';
import { loadConfig } from './config';
import { ScaledRealClock } from './engine/clock';
import type { Logger } from './engine/context';
import { Town } from './engine/town';
import { CliGit } from './git/cli-git';
import { GateRunner } from './gates/gate-runner';
import { ScriptedAgentRuntime } from './agents/scripted-agent';
import { QueueSeries } from './metrics/queue-series';
import { createQueries } from './queries';
import { attachRealtime } from './realtime/socket';
import { publishRuntime } from './runtime';
import { migrateDatabase } from './store/migrate';
import { openSqlitePrisma } from './store/sqlite';
import { PrismaStore } from './store/prisma-store';
import { startEventRetention } from './store/retention';
import { seedDemoTown, startDemoFeeder } from './demo/demo-town';

const log: Logger = {
  info: (message, fields) => console.log(`[gastown] ${message}`, fields ?? ''),
  warn: (message, fields) => console.warn(`[gastown] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[gastown] ${message}`, fields ?? ''),
};

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const projectRoot = path.resolve(import.meta.dirname, '..');
  await mkdir(config.dataDir, { recursive: true });

  await migrateDatabase(config.databaseFile, { projectRoot });
  const prisma = await openSqlitePrisma(config.databaseFile);
  const store = new PrismaStore(prisma);

  const clock = new ScaledRealClock(config.timeScale);
  const git = new CliGit();
  const town = await Town.open({
    clock,
    git,
    store,
    agents: new ScriptedAgentRuntime({ clock, git }),
    gates: new GateRunner({ scratchRoot: path.join(config.dataDir, 'scratch') }),
    workDir: config.dataDir,
    log,
  });
  const fresh = town.listRigs().length === 0;
  if (fresh && config.demo) await seedDemoTown(town, config.dataDir, projectRoot);
  const stopFeeder = config.demo ? startDemoFeeder(town) : () => {};
  const series = new QueueSeries(town, clock);
  town.start();
  series.start();
  const stopRetention = startEventRetention(store, clock, log);

  process.env.NEXT_TELEMETRY_DISABLED ??= '1';
  const app = next({ dev: config.dev, dir: projectRoot, hostname: config.host, port: config.port });
  const handle = app.getRequestHandler();
  await app.prepare();

  const commands = createCommandBus(town);
  publishRuntime({ town, commands, queries: createQueries(town, store, series), series, config });

  const server = createServer((req, res) => void handle(req, res));
  const realtime = attachRealtime(server, town, series);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // Where `gt` and `bd` find this server when run on the same machine (see cli/client.ts).
  await writeFile(path.join(config.dataDir, 'cli.json'), JSON.stringify({ url: `http://${config.host}:${port}` }, null, 2), { mode: 0o600 });
  log.info(`Gas Town Fleet listening on http://${config.host}:${port}`, {
    dataDir: config.dataDir,
    timeScale: config.timeScale,
    town: fresh ? (config.demo ? 'new demo town' : 'new empty town') : 'resumed',
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    const forced = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 20_000);
    server.close();
    server.closeAllConnections();
    stopFeeder();
    stopRetention();
    series.stop();
    await realtime.close();
    await town.stop();
    clock.clearAll();
    await store.close();
    clearTimeout(forced);
    log.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('[gastown] failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
