/**
 * The engine's assembly: the one place its parts are built and wired, in dependency
 * order, each from the parts before it (no part reaches one built after it; roles that
 * react to another's work subscribe to the events it already emits: the Mayor wakes on
 * beads, polecats, gates and convoys moving; the Deacon and the provider limiter follow
 * town settings).
 *
 *   context -> records -> settings -> limiter, costs -> escalations -> gates -> waves
 *   -> beads -> convoys -> agent sessions -> verdicts -> supervision -> mayor
 *   -> recovery, rig rebuild -> rig runtimes -> polecats -> splits -> rigs -> Town
 *
 * `createEngine` loads the persisted state and attaches every stored rig (records in
 * memory, reconciled with git); it does not start work (`Town.start`).
 */
import path from 'node:path';
import { AgentSessions } from './agent-sessions';
import { Beads } from './beads';
import type { Clock } from './clock';
import { EngineContext, silentLogger, type Logger } from './context';
import { Convoys } from './convoys';
import { CostMeter } from './costs';
import { EscalationBook } from './escalations';
import { EventBus } from './events';
import { GateBook } from './gate';
import { ProviderLimiter } from './limiter';
import { Mayor } from './mayor';
import { Persistence } from './persistence';
import { Polecats } from './polecats';
import type { AgentRuntime, CheckPort, GitPort, TownState, TownStore, UpstreamPort } from './ports';
import { seededRandom, type Random } from './random';
import { TownRecords } from './records';
import { Recovery } from './recovery';
import { RigRebuild } from './rig-rebuild';
import { RigRuntimes } from './rig-runtimes';
import { checkNewRigName } from './rig-settings';
import { Rigs } from './rigs';
import { TownSettingsBook } from './settings';
import { Splits } from './split';
import { Supervision } from './supervision';
import { Town } from './town';
import { publishHead, pushReviewBranch } from './upstream-landing';
import { Verdicts } from './verdicts';
import { Waves } from './waves';

export interface EngineOptions {
  clock: Clock;
  git: GitPort;
  store: TownStore;
  agents: AgentRuntime;
  /** The Refinery's validation checks. */
  checks: CheckPort;
  /** Where polecat worktrees live: `<workDir>/worktrees/<rig>/<polecat>`. */
  workDir: string;
  /**
   * Rigs' upstream repositories (fetch, landing pushes, polecat branches). Without it a
   * rig must land locally (`landing: 'local'`, the demo, the lab): no upstream is called.
   */
  upstream?: UpstreamPort;
  random?: Random;
  bus?: EventBus;
  log?: Logger;
  /**
   * Whether opening attaches every stored rig (default). False in cluster mode
   * (docs/cluster.md): the node attaches only the rigs whose leases it claims
   * (engine/ownership.ts), through `town.rigs.attach`.
   */
  attachStored?: boolean;
  /**
   * A node of a cluster whose nodes may be on other machines (docs/cluster.md): each polecat's
   * branch is pushed to its rig's upstream when it submits, and a rig claimed from another
   * node is rebuilt in this node's own directories (rig-rebuild.ts).
   */
  clusterNode?: boolean;
}

/** Loads the persisted town, builds its roles and reconciles every rig with git. Does not start work. */
export async function createEngine(options: EngineOptions): Promise<Town> {
  const { clock, store } = options;
  const log = options.log ?? silentLogger;
  const state = await store.loadTown();
  const ctx = new EngineContext(
    clock,
    options.git,
    options.agents,
    new Persistence(store, (err) => log.error('store write failed', { error: String(err) }), clock),
    options.random ?? seededRandom(clock.now()),
    options.bus ?? new EventBus((err) => log.error('event listener failed', { error: String(err) })),
    log,
  );
  const records = new TownRecords(ctx);
  const settings = new TownSettingsBook(ctx, state.settings);
  const unlimited = { maxSessions: null, tokensPerMinute: null };
  const limiter = new ProviderLimiter(clock, (provider) => settings.current.providers[provider] ?? unlimited);
  ctx.bus.subscribe((event) => {
    if (event.type === 'town.settings_changed') limiter.limitsChanged();
  });
  const costs = new CostMeter(ctx, () => settings.current.retryLoopTokens);
  costs.seedToday(await store.listUsage({ since: new Date(clock.now()).toISOString().slice(0, 10) }));
  // A node that runs only the rigs it claims holds only their escalations, loaded on attach.
  const escalations = new EscalationBook(ctx, options.attachStored === false ? [] : state.escalations);
  const gates = new GateBook(ctx, records, settings, state.gates);
  const waves = new Waves(ctx, records);
  const beads = new Beads(ctx, records, gates, waves);
  const convoys = new Convoys(ctx, records, gates, beads);
  const sessions = new AgentSessions(ctx, records, escalations, limiter, costs);
  const verdicts = new Verdicts(ctx, records, sessions, escalations, waves, gates);
  const supervision = new Supervision(ctx, records, sessions, gates, escalations, settings);
  const mayor = new Mayor(ctx, records, gates, convoys, waves, sessions);
  const upstream = options.upstream ?? null;
  if (upstream) {
    ctx.bus.subscribe((event) => {
      if (event.type !== 'polecat.committed') return;
      const rt = records.rigs.get(event.rig);
      const polecat = records.polecats.get(event.polecat);
      if (rt && polecat) pushReviewBranch(ctx, upstream, rt.rig, polecat.branch);
    });
    if (options.clusterNode) {
      ctx.bus.subscribe((event) => {
        if (event.type === 'mr.enqueued') publishHead(ctx, records, upstream, event.rig, event.polecat);
      });
    }
  }
  const recovery = new Recovery(ctx, records, verdicts, store, upstream);
  const rebuild =
    upstream && options.clusterNode
      ? // Where gt rig add clones too (server/main.ts).
        new RigRebuild(ctx, records, upstream, { rigsRoot: path.join(options.workDir, 'rigs'), workDir: options.workDir })
      : null;
  const runtimes = new RigRuntimes(
    ctx,
    records,
    options.checks,
    upstream,
    verdicts,
    supervision,
    sessions,
    recovery,
    rebuild,
    escalations,
  );
  const polecats = new Polecats(ctx, records, sessions, options.workDir);
  const splits = new Splits(ctx, records, {
    attachRig: (rig) => runtimes.attachNew(rig, false),
    running: () => runtimes.isRunning,
    addPolecats: (rig, count) => polecats.add(rig, count),
    followRigs: (moved) => polecats.followRigs(moved),
    mergesPerHour: (rig) => records.rig(rig).refinery.stats.snapshot(clock.now()).mergesPerHour,
    checkNewRigName: (name) => checkNewRigName(name, (n) => records.knowsRig(n)),
  });
  const rigs = new Rigs(ctx, records, runtimes, sessions, splits);
  await runtimes.open(options.attachStored === false ? withoutRigs(state) : state);
  await ctx.settle();
  return new Town({
    ctx,
    records,
    settings,
    limiter,
    costs,
    escalations,
    gates,
    beads,
    convoys,
    polecats,
    supervision,
    mayor,
    runtimes,
    rigs,
    resumed: state.rigs.length > 0,
  });
}

/**
 * The town-wide part of a stored town: no rig, and none of a rig's records (its polecats,
 * beads, merge requests, the convoys of its beads); attaching a rig loads those.
 */
function withoutRigs(state: TownState): TownState {
  return { ...state, rigs: [], polecats: [], beads: [], convoys: [], mergeRequests: [] };
}
