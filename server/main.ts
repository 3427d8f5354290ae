/**
 * The composition root: one process, one HTTP server carrying the Next.js pages, the
 * JSON API (route handlers under app/api) and socket.io, with the engine embedded.
 *
 * Start order: config -> data directory -> credentials -> migrations -> store -> engine
 * (reconciled with git) -> demo seed on an empty town -> monitoring (metrics, alert rules)
 * -> engine started -> in cluster mode, the first heartbeat (claims and attaches this node's
 * rigs, docs/cluster.md) -> Next prepared -> listen (behind the auth gate) -> sign-in URL printed.
 * Stop order (SIGINT/SIGTERM): stop accepting requests -> realtime closed -> monitoring
 * stopped -> heartbeat stopped -> engine stopped (the merge in hand finishes, agents parked)
 * -> writes drained -> leases released (cluster mode) -> database closed.
 */
import { createServer } from 'node:http';
import os from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import next from 'next';
import { COMMANDS, createCommandBus } from './commands';
import { loadConfig } from './config';
import { ScaledRealClock } from './engine/clock';
import type { Logger } from './engine/context';
import { createEngine } from './engine/assembly';
import { CliGit } from './git/cli-git';
import { CliUpstream } from './git/upstream';
import { RigCloner } from './rigs/rig-cloner';
import { CheckRunner } from './checks/check-runner';
import { ScriptedAgentRuntime } from './agents/scripted-agent';
import { CommandAgentRuntime } from './agents/command-agent';
import { RigAgentRuntime } from './agents/rig-runtime';
import { agentLogRoot } from './agents/agent-log';
import { createQueries } from './queries';
import { parseSplitRequest } from './commands/split-request';
import { TimeLedger } from './fleet/time-ledger';
import { WorktreeDiskUsage } from './fleet/disk-usage';
import { timedGit } from './git/timed-git';
import { attachRealtime } from './realtime/socket';
import { RedisLink } from './realtime/redis-link';
import { publishRuntime } from './runtime';
import { openStoreDatabase } from './store/database';
import { PrismaStore } from './store/prisma-store';
import { startEventRetention } from './store/retention';
import { ensureDemoTown, startDemoFeeder } from './demo/demo-town';
import { PrismaAlertStore } from './alerts/prisma-store';
import { Authenticator } from './auth/authenticator';
import { resolveCredentials } from './auth/credentials';
import { createAuthGate, identify } from './auth/http-gate';
import { answerClientError, createRequestListener } from './http/boundary';
import { HostAllowList } from './http/hosts';
import { FailureLimiter } from './http/rate-limit';
import { publishMonitoring } from './metrics/handle';
import { createMonitoring } from './metrics/monitoring';
import { PrismaMetricsStore } from './metrics/prisma-series-store';
import { prometheusRuleFile } from './alerts/prometheus-rules';
import { createPrometheusRegistry } from './metrics/prometheus';
import { LabService } from './lab/service';
import { LeaseHoldings } from './engine/lease-holdings';
import { Ownership } from './engine/ownership';
import { EngineError } from './engine/errors';
import { PrismaLeases, databaseClock } from './store/prisma-leases';
import { startHeartbeat, type Heartbeat } from './cluster/heartbeat';
import { clusterView } from './cluster/view';
import { Forwarder } from './cluster/forward';
import { createForwardStep } from './cluster/forward-http';
import { TownReads } from './cluster/town-reads';
import { clusterStreamViews } from './cluster/stream-views';
import { ClusterDuties } from './cluster/duties';
import { placeRig } from './cluster/placement';
import { nodeSampleJson } from './metrics/town-merge';
import { protectSecrets, townSandbox } from './spawner/sandbox';

const log: Logger = {
  info: (message, fields) => console.log(`[gastown] ${message}`, fields ?? ''),
  warn: (message, fields) => console.warn(`[gastown] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[gastown] ${message}`, fields ?? ''),
};

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const projectRoot = path.resolve(import.meta.dirname, '..');
  await mkdir(config.dataDir, { recursive: true });
  const credentials = await resolveCredentials({
    dataDir: config.dataDir,
    mode: config.authMode,
    host: config.host,
    operatorToken: config.operatorToken,
    viewerToken: config.viewerToken,
    sessionSecret: config.sessionSecret,
  });
  const auth = new Authenticator({ ...credentials, clusterSecret: config.cluster?.secret ?? null });

  // SQLite under the data directory, or PostgreSQL with GT_DATABASE_URL; migrated first.
  const database = await openStoreDatabase(config.database, projectRoot);
  const prisma = database.client;
  // Cluster mode (docs/cluster.md): rig writes are fenced by this node's lease epochs, and
  // the engine attaches only the rigs it claims. One server (the default): neither.
  const leases = config.cluster ? new PrismaLeases(prisma, databaseClock(database)) : null;
  const holdings =
    config.cluster && leases ? new LeaseHoldings(config.cluster.node, config.cluster.leaseTtlMs, () => leases.now()) : null;
  const store = new PrismaStore(prisma, holdings ? { fence: holdings } : {});
  // The town-wide duties run on the leader only (docs/cluster.md); on one server, here.
  let monitoringRef: { lead(): Promise<void>; nodesChanged(): void } | null = null;
  const duties =
    config.cluster && leases
      ? new ClusterDuties({
          node: config.cluster.node,
          leases,
          ttlMs: config.cluster.leaseTtlMs,
          monotonic: () => performance.now(),
          log,
          onLeaderChange: (leader) => {
            if (leader)
              void monitoringRef?.lead().catch((err: unknown) => log.error('reloading alerts failed', { error: String(err) }));
          },
          onNodesChange: () => monitoringRef?.nodesChanged(),
        })
      : null;
  const startedAt = leases ? await leases.now() : Date.now();
  // Where `gt` and `bd` find this server when run on the same machine (see cli/client.ts);
  // written before any agent starts, so an agent's sandbox can cover it (spawner/sandbox.ts).
  const writeCliFile = (port: number) =>
    writeFile(
      path.join(config.dataDir, 'cli.json'),
      JSON.stringify({ url: `http://${config.host}:${port}`, token: credentials.operatorToken }, null, 2),
      { mode: 0o600 },
    );
  await writeCliFile(config.port);
  // Tokens and database for the server's user only, whatever mode older files had.
  await protectSecrets(config.dataDir);

  // Engine time never runs backwards across restarts: a sped-up clock ran ahead of the
  // wall clock, so it resumes from the last event's time when that is later.
  const [lastEvent] = await store.listEvents({ limit: 1 });
  const clock = new ScaledRealClock(config.timeScale, Math.max(Date.now(), (lastEvent?.at ?? 0) + 1));
  const ledger = new TimeLedger(clock);
  const git = timedGit(new CliGit(), (ms) => ledger.gitCall(ms));
  // Fetches, landing pushes and clones (gt rig add) count as git time too.
  const upstream = timedGit(new CliUpstream(), (ms) => ledger.gitCall(ms));
  const town = await createEngine({
    clock,
    git,
    upstream,
    store,
    // Each rig picks its agent: the scripted one (the demo) or an external CLI (docs/agents.md).
    agents: new RigAgentRuntime(
      new ScriptedAgentRuntime({ clock, git }),
      new CommandAgentRuntime({ logRoot: agentLogRoot(config.dataDir) }),
    ),
    checks: new CheckRunner({ scratchRoot: path.join(config.dataDir, 'scratch') }),
    workDir: config.dataDir,
    log,
    attachStored: !config.cluster,
    clusterNode: config.cluster !== null,
  });
  ledger.attach(town.bus);
  const disk = new WorktreeDiskUsage(town);
  const fleet = {
    timeShare: () => ledger.view(),
    diskBytes: (rig: string) => disk.of(rig),
    nodes: () => duties?.layout() ?? null,
  };
  const fresh = town.rigs.list().length === 0;
  // The demo seeds a town of its own: in a cluster, nodes would race to seed one shared town.
  const demo = config.demo && !config.cluster;
  if (config.demo && config.cluster) log.warn('cluster mode: the demo town is not seeded (GT_DEMO is ignored)');
  if (demo) await ensureDemoTown(town, config.dataDir, config.demoSize);
  const stopFeeder = demo ? startDemoFeeder(town, config.demoSize) : () => {};
  const commandNames = new Set(COMMANDS.map((c) => c.name));
  /** Where people reach this server: links in alert webhooks and the sign-in URL. */
  let publicBase: string | null = null;
  const monitoring = createMonitoring({
    town,
    metricsStore: new PrismaMetricsStore(prisma),
    alertStore: new PrismaAlertStore(prisma),
    log,
    hasCommand: (name) => commandNames.has(name),
    webhookUrl: config.alertWebhookUrl,
    alertmanagerUrls: config.alertmanagerUrls,
    townName: config.townName,
    nodeName: config.cluster ? config.node : undefined,
    // Known once the server listens (the port may be chosen then): GT_PUBLIC_URL, or the listen address.
    pageUrl: () => (publicBase ? `${publicBase}/alerts` : null),
    duties: duties ?? undefined,
  });
  monitoringRef = monitoring;
  await monitoring.load();
  monitoring.start();
  // How agents and checks are kept from the tokens (docs/agents.md, "What an agent can reach").
  const sandbox = townSandbox(config.dataDir);
  if (sandbox.mode === 'none')
    log.warn('agents run as the server user without namespaces (unshare refused): they can read the token files');
  else
    log.info(`agents and checks run ${sandbox.user ? `as user ${sandbox.user.name}` : 'in namespaces without the token files'}`);
  // Rigs added from a URL are cloned beside the data (gt rig add; server/rigs/rig-cloner.ts).
  const rigCloner = new RigCloner({ town, upstream, rigsRoot: path.join(config.dataDir, 'rigs') });
  let heartbeat: Heartbeat | null = null;
  let ownership: Ownership | null = null;
  const commands = createCommandBus({
    engine: town,
    alerts: monitoring.alerts,
    rigCloner,
    // Built below, once the town runs; a move before that finds no rig of this node's.
    cluster: config.cluster
      ? {
          moveRig: (rig, node) => {
            if (!ownership) throw new EngineError('unavailable', 'the cluster node is still starting');
            return ownership.moveOut(rig, node);
          },
          checkNewRigName: async (name) => {
            if ((await leases!.rigNames()).includes(name))
              throw new EngineError('conflict', `rig '${name}' already exists in the town`);
          },
          node: config.cluster.node,
          placeNewRig: async (asked) => {
            const [now, nodes, rows, polecats] = await Promise.all([
              leases!.now(),
              leases!.listNodes(),
              leases!.listLeases(),
              leases!.polecatsByRig(),
            ]);
            return placeRig({ self: config.cluster!.node, nodes, leases: rows, polecats, now, asked });
          },
        }
      : undefined,
  });
  town.start();
  if (config.cluster && leases && holdings) {
    const cluster = config.cluster;
    ownership = new Ownership({
      node: {
        name: cluster.node,
        startedAt,
        url: () => publicBase,
        sample: () => {
          const latest = monitoring.sampler.latest();
          return latest ? nodeSampleJson(latest) : null;
        },
      },
      leases,
      holdings,
      rigs: town.rigs,
      storedRigs: () => leases.rigNames(),
      log,
    });
    const owner = ownership;
    town.onFenced((error) => owner.fenced(error.rig));
    const leader = duties!;
    await leader.seed(); // before the first claim takes a dead node's rigs out of its name
    heartbeat = startHeartbeat(
      {
        pass: async () => {
          await owner.pass();
          await leader.pass();
        },
      },
      cluster.heartbeatMs,
    );
    await heartbeat.first;
    log.info(`cluster node ${cluster.node}: holds ${holdings.list().length} rig lease(s)`, {
      heartbeatMs: cluster.heartbeatMs,
      leaseTtlMs: cluster.leaseTtlMs,
    });
  }
  disk.start();
  const stopRetention = startEventRetention(store, clock, log, {
    eventsMs: config.eventRetentionMs,
    auditMs: config.auditRetentionMs,
  });

  // Live streams across nodes (GT_REDIS_URL): connecting now, without waiting, so a Redis that
  // is down delays nothing; the node serves its own events meanwhile (server/realtime/redis-link.ts).
  const redis = config.redisUrl
    ? new RedisLink({ url: config.redisUrl, prefix: config.redisPrefix, node: config.node, log })
    : null;
  redis?.connect();

  process.env.NEXT_TELEMETRY_DISABLED ??= '1';
  const app = next({ dev: config.dev, dir: projectRoot, hostname: config.host, port: config.port });
  const handle = app.getRequestHandler();
  await app.prepare();

  // Forwarding to other nodes' rigs (docs/cluster.md, "Forwarding"): needs the shared cluster secret.
  const forwarder =
    config.cluster?.secret && leases
      ? new Forwarder({
          node: config.cluster.node,
          secret: config.cluster.secret,
          runsHere: (rig) => town.rigs.get(rig) !== undefined,
          leads: () => duties?.isLeader() ?? true,
          leases,
        })
      : null;
  if (config.cluster && !forwarder)
    log.warn('cluster mode without GT_CLUSTER_SECRET: requests about rigs other nodes run are not forwarded to them');
  const lab = new LabService(town, store);
  const queries = createQueries(town, store, {
    fleet,
    parseSplit: parseSplitRequest,
    cluster: () =>
      clusterView({
        town,
        cluster:
          config.cluster && leases && ownership && duties
            ? { config: config.cluster, leases, ownership, leadership: duties.leadership }
            : null,
        nodeName: config.node,
        url: () => publicBase,
        startedAt,
      }),
    node: config.node,
  });
  const townReads = new TownReads({ node: config.node, queries, forwarder });
  publishRuntime({
    town,
    commands,
    rigCloner,
    queries,
    townReads,
    config,
    lab,
    streams: () => redis?.status() ?? { mode: 'local' },
    forwarder,
  });

  const limiter = new FailureLimiter();
  const gate = createAuthGate({ auth, metricsPublic: config.metricsPublic, limiter });
  const hosts: HostAllowList = new HostAllowList({
    host: config.host,
    port: (): number => {
      const address = server.address();
      return typeof address === 'object' && address ? address.port : config.port;
    },
    publicUrl: config.publicUrl,
    extra: config.allowedHosts,
  });
  const forward = forwarder ? createForwardStep({ forwarder, identify: (req) => identify(auth, req)?.actor ?? null }) : undefined;
  const server = createServer(createRequestListener({ hosts, gate, forward, next: (req, res) => handle(req, res) }));
  server.on('clientError', answerClientError);
  const realtime = attachRealtime({
    httpServer: server,
    town,
    store,
    auth,
    hosts,
    limiter,
    alerts: monitoring.alerts,
    fleet,
    node: config.node,
    redis,
    remote: forwarder ? clusterStreamViews(forwarder, townReads) : null,
  });
  const prometheus = createPrometheusRegistry({
    sampler: monitoring.sampler,
    town,
    alerts: monitoring.alerts,
    webhook: monitoring.webhook,
    alertmanager: monitoring.alertmanager,
    histograms: monitoring.histograms,
    cluster: config.cluster ? { node: config.cluster.node, town: () => monitoring.townSnapshot()?.town ?? null } : null,
    streams: () => ({
      clients: realtime.io.engine.clientsCount,
      ...realtime.hub.stats(),
      redisUp: redis ? Number(redis.ready()) : null,
    }),
  });
  publishMonitoring({
    auth,
    alerts: monitoring.alerts,
    series: monitoring.recorder,
    webhook: monitoring.webhook,
    alertmanager: monitoring.alertmanager,
    townName: config.townName,
    prometheusRules: () => prometheusRuleFile(monitoring.alerts.listRules(), { town: config.townName }),
    clock,
    prometheus: async () => ({ contentType: prometheus.contentType, body: await prometheus.metrics() }),
  });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (port !== config.port) await writeCliFile(port); // in place: a sandbox's cover stays on it
  log.info(`Gas Town Fleet listening on http://${config.host}:${port}`, {
    dataDir: config.dataDir,
    database: `${database.provider} ${database.description}`,
    timeScale: config.timeScale,
    town: fresh ? (config.demo ? 'new demo town' : 'new empty town') : 'resumed',
  });
  const base = config.publicUrl ?? `http://${['0.0.0.0', '::'].includes(config.host) ? os.hostname() : config.host}:${port}`;
  publicBase = base;
  if (credentials.mode === 'off') {
    log.warn(`authentication is OFF (GT_AUTH=off): anyone who can reach ${base} is the operator`);
  } else {
    const signIn = (role: string, token: string, stored: boolean, env: string) =>
      stored ? `${base}/?token=${token}` : `(the token in ${env})`;
    log.info(
      `sign in as operator: ${signIn('operator', credentials.operatorToken, credentials.stored.operator, 'GT_OPERATOR_TOKEN')}`,
    );
    log.info(
      `read-only (viewer) link: ${signIn('viewer', credentials.viewerToken, credentials.stored.viewer, 'GT_VIEWER_TOKEN')}`,
    );
    if (credentials.createdFile) log.info(`tokens generated and kept in ${credentials.file} (mode 0600)`);
  }

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
    disk.stop();
    ledger.detach();
    await realtime.close();
    await monitoring.stop();
    await heartbeat?.stop(); // no claim or attach starts while the town stops
    await town.stop();
    await ownership?.releaseAll(); // after the writes drained: the other nodes claim at once
    await duties?.leadership.release(); // another node leads from its next heartbeat
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
