/**
 * One what-if run: a real Town (Mayor, Refinery, Witness, Deacon, convoys, limiter) on
 * the lab's virtual clock, over modelled git and modelled agents, with a steady backlog
 * of beads (or one convoy). Returns the figures the seed talks about, measured from the
 * engine's own events, and a downsampled time series for charts.
 */
import { ClockedChecks } from '../checks/clocked-checks';
import { VirtualClock } from '../engine/clock';
import type { DomainEvent } from '../../contracts/events';
import type { TownStore } from '../engine/ports';
import { hashSeed, seededRandom, type Random } from '../engine/random';
import { createEngine } from '../engine/assembly';
import type { Town } from '../engine/town';
import { LabParamsError, parseLabParams } from './params';
import type { LabParams, LabParamsInput, RepoShape, LabResult } from '../../contracts/lab';
import { SimAgentRuntime } from './sim-agents';
import { SimGit } from './sim-git';
import { repoFiles } from './sim-repo';
import { SimStore } from './sim-store';
import { RunRecorder, sampleEvery } from './recorder';

/** A rig of the simulated town: one partition of a modelled repository. */
interface RigPlan {
  name: string;
  repo: string;
  areas: string[];
  polecats: number;
  active: boolean;
}

const AREA_NAMES = ['core', 'ui', 'tests', 'api', 'cli', 'docs', 'infra', 'data', 'auth', 'billing', 'search', 'mobile'];

/** Splits `total` into `parts` near-equal shares, larger first (20 -> 7, 7, 6). */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

function planRigs(p: LabParams): RigPlan[] {
  const areas = AREA_NAMES.slice(0, p.areas);
  const plans: RigPlan[] = [];
  const active = p.activeRigs ?? p.rigs;
  for (let r = 0; r < p.rigs; r++) {
    const base = p.rigs === 1 ? 'myproject' : `rig-${String(r + 1).padStart(3, '0')}`;
    const repo = `/sim/${base}`;
    if (p.split === 1) {
      plans.push({ name: base, repo, areas, polecats: p.polecatsPerRig, active: r < active });
      continue;
    }
    const areaShares = shares(areas.length, p.split);
    const polecatShares = shares(p.polecatsPerRig, p.split);
    let next = 0;
    for (let s = 0; s < p.split; s++) {
      const own = areas.slice(next, next + areaShares[s]);
      next += areaShares[s];
      plans.push({ name: `${base}-${own[0]}`, repo, areas: own, polecats: polecatShares[s], active: r < active });
    }
  }
  return plans;
}

/** A bead for a rig: a title and the one area of its scope it works in. */
function beadFor(plan: RigPlan, random: Random, n: number) {
  const area = plan.areas[Math.floor(random.next() * plan.areas.length)];
  return { title: `${area} change #${n}`, rig: plan.name, paths: [`${area}/`], priority: 2 };
}

export interface RunOptions {
  /** Default: a SimStore (no event log). A MemoryStore keeps the history, for calibration tests. */
  store?: TownStore;
  /** Sees the simulated town once it is built (tests read it after the run). */
  onOpen?: (town: Town) => void;
  /** Stops the run between two instants of virtual time (the request that asked for it went away). */
  signal?: AbortSignal;
}

/** Runs a what-if; throws LabParamsError for parameters outside the stated limits. */
export async function runLab(input: LabParamsInput | LabParams, options: RunOptions = {}): Promise<LabResult> {
  const p = parseLabParams(input);
  const wallStart = performance.now();
  const clock = new VirtualClock();
  const git = new SimGit();
  const shape: RepoShape = {
    areas: AREA_NAMES.slice(0, p.areas),
    modulesPerArea: p.modulesPerArea,
    regionsPerFile: p.regionsPerFile,
  };
  const files = repoFiles(shape);
  // The seed keeps its first label ('gate:'), so a seed replays the runs it gave before.
  const checkRandom = seededRandom(hashSeed(`gate:${p.seed}`));
  const agents = new SimAgentRuntime({
    clock,
    git,
    files: () => files,
    seed: p.seed,
    usageEveryStep: p.tokensPerMinute !== null,
    model: {
      workMedianMs: p.workMinutes * 60_000,
      workSpread: p.workSpread,
      reworkFraction: 0.25,
      tokensPerBead: p.tokensPerBead,
      failureRate: p.failureRate,
      stallRate: p.stallRate,
    },
  });
  const checks = new ClockedChecks(clock, {
    // Check time varies a little around its median; the merge itself costs the worker too.
    durationMs: () => p.mergeSeconds * 1000 + p.checkMinutes * 60_000 * (0.75 + checkRandom.next() / 2),
    fails: (req) => (git.isBroken(req.commit) ? 'tests' : null),
  });
  const store = options.store ?? new SimStore();
  const town = await createEngine({ clock, git, store, agents, checks, workDir: '/sim/work', random: seededRandom(p.seed) });
  options.onOpen?.(town);
  town.updateSettings(
    {
      deaconMode: p.deaconMode,
      tierIntervalsMs: { hot: p.tiers.hot * 1000, warm: p.tiers.warm * 1000, cold: p.tiers.cold * 1000 },
      rigPatrolMs: p.rigPatrolSeconds * 1000,
      providers: { anthropic: { maxSessions: null, tokensPerMinute: p.tokensPerMinute } },
    },
    'lab',
  );

  const plans = planRigs(p);
  for (const repo of new Set(plans.map((r) => r.repo))) git.initRepository(repo);
  for (const plan of plans) {
    const scope = p.split > 1 ? plan.areas.map((a) => `${a}/`) : [];
    await town.rigs.add({ name: plan.name, repoPath: plan.repo, settings: { refineryWorkers: p.workers, scope } });
    if (plan.polecats > 0) await town.polecats.add(plan.name, plan.polecats);
  }

  const recorder = new RunRecorder(town, clock, sampleEvery(p.hours));
  const workRandom = seededRandom(hashSeed(`work:${p.seed}`));
  let made = 0;
  const byName = new Map(plans.map((r) => [r.name, r]));
  let convoyId: string | null = null;
  if (p.convoy) {
    // One convoy over the active rigs' areas, dispatched all at once or in waves.
    const targets = plans.filter((r) => r.active && r.polecats > 0);
    if (targets.length === 0) throw new LabParamsError(['convoy: no active rig has polecats to work on it']);
    const beads = Array.from({ length: p.convoy.beads }, (_, i) => beadFor(targets[i % targets.length], workRandom, ++made));
    const convoy = town.convoys.create('what-if convoy', beads, { hold: true, by: 'lab' });
    town.convoys.dispatch(convoy.id, p.convoy.waveSize, 'lab');
    convoyId = convoy.id;
  } else {
    // A steady backlog: every active rig always has a bead ready for each idle polecat.
    for (const plan of plans) {
      if (!plan.active) continue;
      for (let i = 0; i <= plan.polecats; i++) town.beads.create(beadFor(plan, workRandom, ++made));
    }
    town.bus.subscribe((e: DomainEvent) => {
      if (e.type !== 'mr.merged' && e.type !== 'mr.escalated') return;
      const plan = byName.get(e.rig);
      if (plan?.active) town.beads.create(beadFor(plan, workRandom, ++made));
    });
  }

  const startAt = clock.now();
  town.start();
  const end = startAt + p.hours * 3_600_000;
  const settle = () => {
    options.signal?.throwIfAborted();
    return town.settle();
  };
  // Advance in slices so a convoy run can stop as soon as its convoy has landed.
  const slice = 10 * 60_000;
  let figures: LabResult['figures'];
  try {
    while (clock.now() < end) {
      await clock.advance(Math.min(end, clock.now() + slice) - clock.now(), settle, { settleEach: 'instant' });
      if (convoyId && !town.convoys.find(convoyId)) break;
    }
    figures = recorder.finish(convoyId);
  } finally {
    await town.stop();
  }
  const virtualMs = clock.now() - startAt;
  return {
    params: p,
    figures,
    series: recorder.series(),
    run: {
      wallMs: Math.round(performance.now() - wallStart),
      virtualHours: virtualMs / 3_600_000,
      timersFired: clock.fired,
      gitOperations: git.operations,
      polecats: plans.reduce((n, r) => n + r.polecats, 0),
      rigs: plans.length,
    },
  };
}
