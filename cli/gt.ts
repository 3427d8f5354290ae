/**
 * `gt`: the town from a shell. Every command talks to the running server's JSON API;
 * `--json` prints the API's JSON as is (stable; see docs/cli.md), for jq and cron.
 *
 *   gt status --json | jq '.deacon.last_patrol_duration'
 *   gt mq list --json | jq '.pending | length'
 *   gt refinery stats --json | jq '.conflict_rate'
 *   gt rig scale myproject --refinery-workers 3
 *   gt rig agent myproject --preset claude --max-concurrency 3
 *   gt rig split myproject --partition myproject-core=core/** --partition myproject-ui=ui/** --dry-run
 *   gt costs --by-agent ; gt costs --alert-threshold 50
 *   gt lab history myproject --max-n 30 --windows 40
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT, api, apiText, command } from './client';
import { colour, json, pct, secs, table, usd } from './output';
import { int, run } from './run';
import type { CloneInProgress, StatusView, MergeQueueView, RefineryStatsView, TownOverview } from '../contracts/town';
import { describeWavePlan, type ConvoySummary, type ConvoyView } from '../contracts/convoys';
import type { CostsView } from '../contracts/costs';
import type { Escalation, Rig } from '../contracts/records';
import type { Alert, AlertRule } from '../contracts/alerts';
import type { MergeResult, SplitPlan, SuggestedSplit, SplitPreview } from '../contracts/split';
import type { ClusterView, TownRigsView } from '../contracts/cluster';
import { addLabCommands, printHistoryEvidence } from './lab';

const program = new Command('gt')
  .description('Gas Town: rigs, merge queues, convoys and costs of a running town')
  .version('0.1.0');
const withJson = (c: Command) => c.option('--json', 'print JSON (stable, for jq)');

withJson(program.command('status').description('the town: rigs, agents, the Deacon and a summary')).action(
  async (opts: { json?: boolean }) => {
    const s = await api<StatusView>('GET', '/api/status');
    if (opts.json) return json(s);
    console.log(
      `${colour.bold('Deacon')} ${s.deacon.mode}, last patrol ${s.deacon.last_patrol_duration ?? '—'} s, gate latency p95 ${s.deacon.gate_latency_s.p95 ?? '—'} s (n=${s.deacon.gate_latency_s.sample})`,
    );
    console.log(
      `${colour.bold('Agents')} ${s.agents.total}: ${
        Object.entries(s.agents.by_state)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ') || 'none'
      }`,
    );
    if (s.escalations.open > 0) console.log(colour.yellow(`${s.escalations.open} open escalation(s)`));
    table(
      ['RIG', 'STATUS', 'TIER', 'POLECATS', 'QUEUE', 'WORKERS', 'WITNESS'],
      s.rigs.map((r) => [
        r.name,
        r.status,
        r.tier + (r.tier_pinned ? '*' : ''),
        r.polecats,
        r.queue_depth,
        r.refinery_workers,
        `${r.witness.interval_s}s`,
      ]),
    );
  },
);

const cluster = program.command('cluster').description('the nodes of the town and the rigs each owns (docs/cluster.md)');
withJson(cluster.command('status').description('nodes, alive or not, the rigs each owns, lease epochs')).action(
  async (opts: { json?: boolean }) => {
    const c = await api<ClusterView>('GET', '/api/cluster');
    if (opts.json) return json(c);
    const lease = (l: { rig: string; epoch: number | null }) => (l.epoch === null ? l.rig : `${l.rig}@${l.epoch}`);
    console.log(
      c.mode === 'single'
        ? `${colour.bold('single server')} ${c.node}: every rig is its own, nothing is leased`
        : `${colour.bold('cluster')} seen from ${c.node}: heartbeat ${c.heartbeatMs} ms, lease TTL ${c.leaseTtlMs} ms; ` +
            (c.leader.node
              ? `leader ${c.leader.node} (epoch ${c.leader.epoch})`
              : colour.yellow('no leader right now (a failover is under way)')),
    );
    table(
      ['NODE', 'ALIVE', 'HEARTBEAT', 'URL', 'RIGS (RIG@EPOCH)'],
      c.nodes.map((n) => [
        n.name + (n.self ? ' *' : '') + (c.mode === 'cluster' && n.name === c.leader.node ? ' (leader)' : ''),
        n.alive ? colour.green('yes') : colour.red('no'),
        `${secs(n.heartbeatAgeMs)} ago`,
        n.url ?? '—',
        n.rigs.map(lease).join(' ') || '—',
      ]),
    );
    if (c.unowned.length > 0) console.log(colour.yellow(`unowned (waiting for a claim): ${c.unowned.map(lease).join(' ')}`));
  },
);

const mq = program.command('mq').description('merge queues');
withJson(
  mq.command('list').description('the merge queue in landing order (all rigs unless one is named)').argument('[rig]'),
).action(async (rig: string | undefined, opts: { json?: boolean }) => {
  const q = await api<{ pending: MergeQueueView[]; in_flight: MergeQueueView[] }>(
    'GET',
    `/api/mq${rig ? `?rig=${encodeURIComponent(rig)}` : ''}`,
  );
  if (opts.json) return json(q);
  table(
    ['RIG', 'POS', 'MR', 'BEAD', 'POLECAT', 'STAGE', 'WORKER', 'ATTEMPTS', 'AGE'],
    [...q.in_flight, ...q.pending].map((m) => [
      m.rig,
      m.position,
      m.id,
      m.bead,
      m.polecat,
      m.stage,
      m.worker,
      m.attempts,
      secs(m.ageMs),
    ]),
  );
});

const refinery = program.command('refinery').description('the Refineries');
const tooSmall = (sample: number, min: number) => (sample > 0 && sample < min ? ', too small' : '');
withJson(
  refinery.command('stats').description('conflict rate (with sample), throughput, time in queue, workers').argument('[rig]'),
).action(async (rig: string | undefined, opts: { json?: boolean }) => {
  const s = await api<RefineryStatsView>('GET', `/api/refinery/stats${rig ? `?rig=${encodeURIComponent(rig)}` : ''}`);
  if (opts.json) return json(s);
  table(
    ['CONFLICT RATE', 'MERGES/H', 'QUEUE (PENDING/IN FLIGHT/BLOCKED)', 'TIME IN QUEUE P50/P95', 'CHECK FAILURES', 'WORKERS BUSY'],
    [
      [
        `${pct(s.conflict_rate)} (n=${s.conflict_sample}${tooSmall(s.conflict_sample, s.min_sample)})`,
        s.merges_per_hour ?? `n too small (${s.merges_landed} in ${secs(s.observed_ms)})`,
        `${s.queue.pending}/${s.queue.in_flight}/${s.queue.blocked}`,
        `${secs(s.time_in_queue_ms.p50)}/${secs(s.time_in_queue_ms.p95)}`,
        `${pct(s.check_failure_rate)} (n=${s.check_runs}${tooSmall(s.check_runs, s.min_sample)})`,
        `${s.workers_busy}/${s.workers}`,
      ],
    ],
  );
});

const rig = program.command('rig').description('rigs');
withJson(rig.command('list').description('every rig of the town, with the node that runs it')).action(
  async (opts: { json?: boolean }) => {
    const o = await api<TownRigsView>('GET', '/api/rigs');
    if (opts.json) return json(o.rigs);
    table(
      ['RIG', 'NODE', 'STATUS', 'TIER', 'POLECATS', 'QUEUE', 'MERGED', 'CONFLICTS', 'WORKERS'],
      o.rigs.map((r) => [
        r.name,
        r.node,
        r.status,
        r.tier,
        r.polecats.length,
        r.queueDepth,
        r.merged,
        r.conflicts,
        r.refineryWorkers,
      ]),
    );
    for (const u of o.unavailable) console.log(colour.yellow(`${u.name}: unavailable (${u.reason})`));
  },
);
withJson(
  rig
    .command('move')
    .description('move a rig to another node of the cluster: drained here, its lease handed over, attached there')
    .argument('<rig>')
    .argument('<node>'),
).action(async (rigName: string, node: string, opts: { json?: boolean }) => {
  const moved = await command<{ rig: string; from: string; to: string; epoch: number }>('rig.move', { rig: rigName, node });
  if (opts.json) return json(moved);
  console.log(
    `${moved.rig}: moved from ${moved.from} to ${moved.to} (lease epoch ${moved.epoch}); ${moved.to} attaches it on its next heartbeat`,
  );
});

/** A clone's wait: the server gives up after 10 minutes (server/rigs/rig-cloner.ts); this waits a little longer. */
const CLONE_WAIT_MS = 11 * 60_000;

withJson(
  rig
    .command('add')
    .description('add a rig: clone a repository (https, ssh, git, file:// or an absolute path) and attach it')
    .argument('<name>', 'lower-case letters, digits and dashes')
    .argument('<url>', "the upstream; credentials come from git's own setup (credential helpers, ssh agent)")
    .option('--branch <target>', "the branch landings go to (default: the upstream's HEAD)")
    .option('--local', 'land in the rig’s own clone only; never push to the upstream')
    .option('--polecats <n>', 'polecats to start with (default 0; add later with gt polecat add)', int('--polecats'))
    .option('--node <node>', 'in a cluster, the node to run it (default: the live node with the fewest polecats)'),
).action(
  async (
    name: string,
    url: string,
    opts: { branch?: string; local?: boolean; polecats?: number; node?: string; json?: boolean },
  ) => {
    const input = {
      name,
      url,
      local: opts.local ?? false,
      ...(opts.branch ? { branch: opts.branch } : {}),
      polecats: opts.polecats ?? 0,
      ...(opts.node ? { node: opts.node } : {}),
    };
    const adding = command<Rig & { node?: string | null }>('rig.add', input, CLONE_WAIT_MS);
    // Progress while the request waits, on stderr so --json output stays clean.
    let last = '';
    const poll = setInterval(() => {
      api<CloneInProgress[]>('GET', '/api/rigs/clones')
        .then((clones) => {
          const c = clones.find((x) => x.rig === name);
          const line = c?.phase ? `${c.phase} ${c.percent}%` : '';
          if (line && line !== last) console.error(colour.dim(`${name}: ${line}`));
          last = line || last;
        })
        .catch(() => undefined); // the answer to the add itself says what went wrong
    }, 500);
    try {
      const r = await adding;
      if (opts.json) return json(r);
      const where = r.settings.landing === 'upstream' ? `upstream ${r.settings.upstreamUrl}` : 'local (its own clone only)';
      console.log(
        `${r.name}: cloned into ${r.repoPath}; lands on ${r.targetBranch}, landing: ${where}` +
          (r.node ? `; runs on node ${r.node}` : ''),
      );
    } finally {
      clearInterval(poll);
    }
  },
);
withJson(
  rig
    .command('remove')
    .description('remove a rig: its worktrees go, its history stays, its repository stays on disk unless --purge')
    .argument('<rig>')
    .option('--drain', 'remove it even with work in flight: dispatch stops, a landing in hand finishes')
    .option('--purge', 'also delete the repository (only a clone made by gt rig add)'),
).action(async (name: string, opts: { drain?: boolean; purge?: boolean; json?: boolean }) => {
  const r = await command<{ polecats: number; interrupted: number; repoPath: string; purged: boolean }>(
    'rig.remove',
    { rig: name, drain: opts.drain ?? false, purge: opts.purge ?? false },
    CLONE_WAIT_MS,
  );
  if (opts.json) return json(r);
  console.log(
    `${name}: removed (${r.polecats} polecats, ${r.interrupted} interrupted); repository ${r.purged ? 'deleted' : `kept at ${r.repoPath}`}`,
  );
});
withJson(
  rig
    .command('scale')
    .description('set the number of Refinery workers')
    .argument('<rig>')
    .requiredOption('--refinery-workers <n>', 'workers, 1-16', int('--refinery-workers')),
).action(async (name: string, opts: { refineryWorkers: number; json?: boolean }) => {
  const r = await command<{ rig: string; refineryWorkers: number }>('refinery.scale', {
    rig: name,
    workers: opts.refineryWorkers,
  });
  if (opts.json) return json(r);
  console.log(`${r.rig}: ${r.refineryWorkers} Refinery workers`);
});
withJson(
  rig
    .command('agent')
    .description("choose a rig's agent: --scripted, --preset <name>, or a command after -- (docs/agents.md)")
    .argument('<rig>')
    .argument('[argv...]', 'a custom command: the program and its arguments, after --')
    .option('--scripted', 'the built-in scripted agent')
    .option('--preset <name>', 'claude, codex, gemini, aider or opencode')
    .option('--model <model>', "the preset's model")
    .option('--max-concurrency <n>', "agents at once, or 'none'", (v: string) =>
      v === 'none' ? null : int('--max-concurrency')(v),
    )
    .option('--timeout-ms <ms>', 'real ms one attempt may run', int('--timeout-ms')),
).action(
  async (
    name: string,
    argv: string[],
    opts: {
      scripted?: boolean;
      preset?: string;
      model?: string;
      maxConcurrency?: number | null;
      timeoutMs?: number;
      json?: boolean;
    },
  ) => {
    const agent = opts.scripted
      ? { kind: 'scripted' }
      : opts.preset
        ? { kind: 'preset', preset: opts.preset, ...(opts.model ? { model: opts.model } : {}) }
        : argv.length > 0
          ? { kind: 'command', command: argv }
          : undefined;
    const r = await command<{ rig: string; description: string; maxConcurrency: number | null; timeoutMs: number }>(
      'agent.configure',
      { rig: name, agent, maxConcurrency: opts.maxConcurrency, timeoutMs: opts.timeoutMs },
    );
    if (opts.json) return json(r);
    console.log(`${r.rig}: ${r.description}, ${r.maxConcurrency ?? 'no'} concurrency cap, timeout ${r.timeoutMs / 1000} s`);
  },
);
for (const [verb, action, done] of [
  ['park', 'rig.park', 'parked'],
  ['unpark', 'rig.unpark', 'active'],
] as const) {
  withJson(rig.command(verb).description(`${verb} a rig`).argument('<rig>')).action(
    async (name: string, opts: { json?: boolean }) => {
      const r = await command(action, { rig: name });
      if (opts.json) return json(r);
      console.log(`${name}: ${done}`);
    },
  );
}
/** `NAME=GLOB[,GLOB...]` for --partition. */
function partitionArg(value: string, previous: Array<{ name: string; globs: string[] }> = []) {
  const at = value.indexOf('=');
  const globs = value
    .slice(at + 1)
    .split(',')
    .filter(Boolean);
  if (at <= 0 || globs.length === 0) throw new InvalidArgumentError(`expected NAME=GLOB[,GLOB...], got '${value}'`);
  return [...previous, { name: value.slice(0, at), globs }];
}

/** `NAME=N` for --polecats. */
function countArg(value: string, previous: Record<string, number> = {}) {
  const [name, n] = value.split('=');
  if (!name || !/^\d+$/.test(n ?? '')) throw new InvalidArgumentError(`expected NAME=N, got '${value}'`);
  return { ...previous, [name]: Number(n) };
}

withJson(
  rig
    .command('split')
    .description('split a rig into path partitions, each with its own Refinery, Witness and merge queue')
    .argument('<rig>')
    .option(
      '--partition <name=globs>',
      'a partition: NAME=GLOB[,GLOB...] (repeat); files matching none go to a remainder',
      partitionArg,
    )
    .option('--suggest', 'use the partitions suggested from the rig’s history')
    .option('--remainder <name>', 'name of the remainder partition (default <rig>-rest)')
    .option('--spanning <where>', "where work spanning partitions goes: a partition, or 'stay' (keep the rig for it)")
    .option('--polecats <name=n>', 'polecats for a partition (repeat; default: in proportion to its work)', countArg)
    .option('--dry-run', 'show the plan and change nothing'),
).action(
  async (
    name: string,
    opts: {
      partition?: Array<{ name: string; globs: string[] }>;
      suggest?: boolean;
      remainder?: string;
      spanning?: string;
      polecats?: Record<string, number>;
      dryRun?: boolean;
      json?: boolean;
    },
  ) => {
    let partitions = opts.partition ?? [];
    if (opts.suggest) {
      const suggested = await api<SuggestedSplit>('GET', `/api/rigs/${encodeURIComponent(name)}/split/suggest`);
      if (partitions.length === 0) partitions = suggested.partitions;
      if (!opts.json) await printHistoryEvidence(name, partitions);
    }
    if (partitions.length === 0) throw new CliError('name partitions with --partition NAME=GLOBS, or use --suggest', EXIT.usage);
    const request = { partitions, remainder: opts.remainder, spanning: opts.spanning, polecats: opts.polecats };
    const route = `/api/rigs/${encodeURIComponent(name)}/split`;
    const plan = opts.dryRun
      ? (await api<SplitPreview>('POST', `${route}/preview`, request)).plan
      : await command<SplitPlan>('rig.split', { rig: name, ...request });
    if (opts.json) return json(plan);
    table(
      ['PARTITION', 'ROLE', 'SCOPE', 'FILES', 'POLECATS', 'BEADS', 'QUEUE', 'DRAIN'],
      plan.partitions.map((p) => [
        p.name,
        p.role,
        [p.scope.join(',') || '*', ...p.scopeExclude.map((g) => `!${g}`)].join(' '),
        p.files,
        p.polecats,
        p.beads.length,
        p.queueDepth,
        p.drainMinutes === null ? '—' : `${p.drainMinutes} min`,
      ]),
    );
    const drain = plan.before.drainMinutes === null ? 'unknown' : `${plan.before.drainMinutes} min`;
    console.log(`before: ${plan.rig} queue ${plan.before.queueDepth}, ${plan.before.polecats} polecats, drain ${drain}`);
    for (const w of plan.warnings) console.log(colour.yellow(`warning: ${w}`));
    console.log(opts.dryRun ? colour.dim('dry run: nothing changed') : `${plan.rig}: split${plan.retire ? ' and retired' : ''}`);
  },
);
withJson(rig.command('merge').description('merge a split rig’s partitions back into it (undo a split)').argument('<rig>')).action(
  async (name: string, opts: { json?: boolean }) => {
    const r = await command<MergeResult>('rig.merge', { rig: name });
    if (opts.json) return json(r);
    console.log(
      `${r.from.join(', ')} merged back into ${r.rig}: ${r.beads} beads, ${r.mergeRequests} merge requests, ${r.polecats} polecats`,
    );
  },
);
withJson(rig.command('fetch').description('fetch a rig’s upstream now; its target follows it').argument('<rig>')).action(
  async (name: string, opts: { json?: boolean }) => {
    const r = await command<{ rig: string; tip: string; moved: boolean; diverged: boolean }>('rig.fetch', { rig: name });
    if (opts.json) return json(r);
    if (r.diverged) console.log(`${r.rig}: the upstream no longer contains the target ${r.tip.slice(0, 12)} (rewritten?)`);
    else console.log(`${r.rig}: ${r.moved ? 'moved to' : 'up to date at'} ${r.tip.slice(0, 12)}`);
  },
);
withJson(
  rig.command('tier').description('pin a rig’s Deacon tier: auto, hot, warm or cold').argument('<rig>').argument('<tier>'),
).action(async (name: string, tier: string, opts: { json?: boolean }) => {
  const r = await command<{ effective: string }>('rig.tier', { rig: name, tier });
  if (opts.json) return json(r);
  console.log(`${name}: tier ${tier} (now ${r.effective})`);
});

const polecat = program.command('polecat').description('polecats: the worker agents');
withJson(
  polecat
    .command('add')
    .description('add polecats to a rig, each with its own worktree')
    .argument('<rig>')
    .option('--count <n>', 'how many (default 1, at most 50)', int('--count'), 1),
).action(async (name: string, opts: { count: number; json?: boolean }) => {
  const r = await command<{ added: string[] }>('polecat.add', { rig: name, count: opts.count }, CLONE_WAIT_MS);
  if (opts.json) return json(r);
  console.log(r.added.join('\n'));
});
withJson(
  polecat
    .command('remove')
    .description('remove a polecat: idle at once, busy after its bead')
    .argument('<rig>')
    .argument('<name>')
    .option('--force', 'remove a busy one now; its bead goes back to the queue'),
).action(async (rigName: string, name: string, opts: { force?: boolean; json?: boolean }) => {
  const r = await command<{ polecat: string; removed: boolean; bead: string | null }>('polecat.remove', {
    rig: rigName,
    name,
    force: opts.force ?? false,
  });
  if (opts.json) return json(r);
  if (!r.removed) console.log(`${r.polecat}: goes once ${r.bead} is done`);
  else console.log(`${r.polecat}: removed${r.bead ? ` (${r.bead} back in the queue)` : ''}`);
});
withJson(polecat.command('list').description('polecats of every rig, or of one').argument('[rig]')).action(
  async (rigName: string | undefined, opts: { json?: boolean }) => {
    const o = await api<TownOverview>('GET', '/api/town');
    const rigs = o.rigs.filter((r) => r.status !== 'retired' && (rigName === undefined || r.name === rigName));
    if (rigName !== undefined && rigs.length === 0) throw new CliError(`rig '${rigName}' does not exist`, EXIT.notFound);
    const rows = rigs.flatMap((r) => r.polecats.map((p) => ({ rig: r.name, ...p })));
    if (opts.json) return json(rows);
    table(
      ['RIG', 'POLECAT', 'STATE', 'BEAD', 'HEALTH'],
      rows.map((p) => [p.rig, p.name, p.state, p.beadId, p.health]),
    );
  },
);

withJson(
  program
    .command('sling')
    .description('dispatch a ready bead now, to a rig (an idle polecat of it) or to <rig>/<polecat>')
    .argument('<bead>')
    .argument('<target>', '<rig> or <rig>/<polecat>'),
).action(async (bead: string, target: string, opts: { json?: boolean }) => {
  const [rigName, name] = target.split('/');
  const r = await command<{ bead: string; polecat: string }>('bead.sling', {
    bead,
    rig: rigName,
    ...(name ? { polecat: name } : {}),
  });
  if (opts.json) return json(r);
  console.log(`${r.bead} -> ${r.polecat}`);
});

const convoy = program.command('convoy').description('convoys');
withJson(convoy.command('list').description('open and recent convoys')).action(async (opts: { json?: boolean }) => {
  const list = await api<ConvoySummary[]>('GET', '/api/convoys');
  if (opts.json) return json(list);
  table(
    ['CONVOY', 'TITLE', 'STATUS', 'PROGRESS', 'WAVES'],
    list.map((c) => [c.id, c.title, c.status, `${c.progress.done}/${c.progress.total}`, describeWavePlan(c.waves, c.waveSize)]),
  );
});
withJson(convoy.command('status').description('a convoy’s beads and waves').argument('<id>')).action(
  async (id: string, opts: { json?: boolean }) => {
    const c = await api<ConvoyView>('GET', `/api/convoys/${encodeURIComponent(id)}`);
    if (opts.json) return json(c);
    console.log(`${colour.bold(c.id)} ${c.title}: ${c.status}, ${c.progress.done}/${c.progress.total} done`);
    table(
      ['WAVE', 'STATE', 'DONE', 'MERGED', 'CONFLICTS', 'REJECTED', 'CONFLICT RATE'],
      c.waves.map((w) => [w.index, w.state, `${w.done}/${w.beads}`, w.merged, w.conflicts, w.rejections, pct(w.conflictRate)]),
    );
  },
);
withJson(
  convoy
    .command('create')
    .description('create a convoy of beads (one --bead per bead title)')
    .argument('<title>')
    .requiredOption('--bead <title...>', 'bead titles')
    .option('--rig <rig>', 'rig for every bead (default: routed by --path)')
    .option('--path <path...>', 'paths the beads touch')
    .option('--hold', 'create it held; dispatch it later'),
).action(async (title: string, opts: { bead: string[]; rig?: string; path?: string[]; hold?: boolean; json?: boolean }) => {
  const c = await command<{ id: string }>('convoy.create', {
    title,
    hold: opts.hold ?? false,
    beads: opts.bead.map((t) => ({ title: t, ...(opts.rig ? { rig: opts.rig } : {}), paths: opts.path ?? [] })),
  });
  if (opts.json) return json(c);
  console.log(c.id);
});
const waveSize = (v: string) => (v === 'auto' ? 'auto' : int('--wave-size')(v));
withJson(
  convoy
    .command('dispatch')
    .description('dispatch a held convoy')
    .argument('<id>')
    .option('--wave-size <n|auto>', 'waves of N beads (default: all at once)', waveSize),
).action(async (id: string, opts: { waveSize?: number | 'auto'; json?: boolean }) => {
  const c = await command<{ waves: unknown[] }>('convoy.dispatch', { id, waveSize: opts.waveSize ?? null });
  if (opts.json) return json(c);
  console.log(`${id}: dispatched in ${c.waves.length} wave(s)`);
});
withJson(
  convoy
    .command('stagger')
    .description('re-plan the undispatched beads into waves')
    .argument('<id>')
    .requiredOption('--wave-size <n|auto>', 'beads per wave', waveSize),
).action(async (id: string, opts: { waveSize: number | 'auto'; json?: boolean }) => {
  const c = await command<{ waves: unknown[] }>('convoy.stagger', { id, waveSize: opts.waveSize });
  if (opts.json) return json(c);
  console.log(`${id}: ${c.waves.length} wave(s)`);
});

withJson(
  program
    .command('costs')
    .description('tokens and cost, today or this week; or set the daily alert threshold')
    .option('--by-agent', 'per polecat')
    .option('--by-rig', 'per rig (default)')
    .option('--by-convoy', 'per convoy')
    .option('--today', 'today (default)')
    .option('--week', 'the last 7 days')
    .option('--alert-threshold <usd>', 'set the daily spend at which the budget alert fires', (v) => {
      if (!/^\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError('an amount in USD, such as 50 or 12.5.');
      return Number(v);
    }),
).action(async (opts: { byAgent?: boolean; byConvoy?: boolean; week?: boolean; alertThreshold?: number; json?: boolean }) => {
  if (opts.alertThreshold !== undefined) {
    const r = await command('costs.budget', { alertThresholdUsd: opts.alertThreshold });
    return opts.json ? json(r) : console.log(`daily alert threshold: ${usd(opts.alertThreshold)}`);
  }
  const by = opts.byAgent ? 'agent' : opts.byConvoy ? 'convoy' : 'rig';
  const c = await api<CostsView>('GET', `/api/costs?by=${by}&range=${opts.week ? 'week' : 'today'}`);
  if (opts.json) return json(c);
  table(
    [by.toUpperCase(), 'INPUT', 'OUTPUT', 'COST'],
    c.rows.map((r) => [
      r.key,
      r.inputTokens,
      r.outputTokens,
      r.unpricedTokens > 0 ? `${usd(r.costUsd)} + unknown` : usd(r.costUsd),
    ]),
  );
  if (c.unmetered.runs > 0)
    console.log(`+ unknown: ${c.unmetered.runs} agent runs reported no usage (${c.unmetered.polecats.join(', ')})`);
  console.log(
    `today ${usd(c.today.costUsd)}${c.budget.dailyBudgetUsd !== null ? ` of ${usd(c.budget.dailyBudgetUsd)}` : ''}${c.budget.alertThresholdUsd !== null ? `, alert at ${usd(c.budget.alertThresholdUsd)}` : ''}`,
  );
});

const alerts = program.command('alerts').description('alerts: firing, pending and past');
withJson(
  alerts.command('list').description('alerts in play (or --all for history too)').option('--all', 'include resolved alerts'),
).action(async (opts: { all?: boolean; json?: boolean }) => {
  const list = await api<Alert[]>('GET', `/api/alerts${opts.all ? '' : '?state=pending,firing'}`);
  if (opts.json) return json(list);
  table(
    ['ID', 'STATE', 'SEVERITY', 'RULE', 'WHERE', 'SINCE', 'ACK', 'SUMMARY'],
    list.map((a) => [
      a.id,
      a.state,
      a.severity,
      a.ruleId,
      a.labels.rig ?? 'town',
      new Date(a.firedAt ?? a.activeAt).toISOString(),
      a.acknowledgedBy,
      a.summary,
    ]),
  );
});
alerts
  .command('rules')
  .description("the town's alert rules; --format prometheus: as a Prometheus rule file over the /metrics names")
  .addOption(
    new Option('--format <format>', 'table, json or prometheus').choices(['table', 'json', 'prometheus']).default('table'),
  )
  .option('--json', 'the same as --format json')
  .action(async (opts: { format: 'table' | 'json' | 'prometheus'; json?: boolean }) => {
    if (opts.format === 'prometheus' && !opts.json) {
      process.stdout.write(await apiText('/api/alerts/rules?format=prometheus', 'application/yaml'));
      return;
    }
    const rules = await api<AlertRule[]>('GET', '/api/alerts/rules');
    if (opts.json || opts.format === 'json') return json(rules);
    table(
      ['ID', 'ENABLED', 'SEVERITY', 'SCOPE', 'FOR', 'KEEP FIRING', 'CONDITIONS'],
      rules.map((r) => [
        r.id,
        r.enabled ? 'yes' : 'no',
        r.severity,
        r.scope,
        secs(r.forMs),
        secs(r.keepFiringForMs),
        r.conditions.map((c) => `${c.metric} ${c.op} ${c.threshold}`).join(r.match === 'all' ? ' and ' : ' or '),
      ]),
    );
  });
withJson(alerts.command('ack').description('acknowledge an alert').argument('<id>')).action(
  async (id: string, opts: { json?: boolean }) => {
    const a = await command<Alert>('alert.ack', { id });
    if (opts.json) return json(a);
    console.log(`${a.id}: acknowledged by ${a.acknowledgedBy}`);
  },
);
const minutes = (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('a whole number of minutes, at least 1.');
  return Number(v);
};
withJson(
  alerts
    .command('silence')
    .description('silence an alert for a while, with a reason')
    .argument('<id>')
    .requiredOption('--reason <text>', 'why (recorded with your name)')
    .option('--minutes <n>', 'how long, in real minutes whatever the time scale (default 60)', minutes, 60),
).action(async (id: string, opts: { reason: string; minutes: number; json?: boolean }) => {
  const silence = await command<{ id: string; endsAt: number }>('alert.silence', {
    alertId: id,
    reason: opts.reason,
    durationMs: opts.minutes * 60_000,
  });
  if (opts.json) return json(silence);
  console.log(`${id}: silenced for ${opts.minutes} min of real time (${silence.id})`);
});

const escalations = program.command('escalations').description('escalations');
withJson(escalations.command('list').description('open and acknowledged escalations')).action(
  async (opts: { json?: boolean }) => {
    const list = await api<Escalation[]>('GET', '/api/escalations?status=open,acknowledged');
    if (opts.json) return json(list);
    table(
      ['ID', 'SEVERITY', 'SOURCE', 'RIG', 'STATUS', 'REASON'],
      list.map((e) => [e.id, e.severity, e.source, e.rig, e.status, e.reason]),
    );
  },
);
for (const [verb, action] of [
  ['ack', 'escalation.ack'],
  ['resolve', 'escalation.resolve'],
] as const) {
  withJson(escalations.command(verb).description(`${verb} an escalation`).argument('<id>')).action(
    async (id: string, opts: { json?: boolean }) => {
      const e = await command<Escalation>(action, { id });
      if (opts.json) return json(e);
      console.log(`${e.id}: ${e.status}`);
    },
  );
}

addLabCommands(program, withJson);

void run(program, process.argv);
