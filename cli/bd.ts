/**
 * `bd`: beads from a shell.
 *
 *   bd list --status=done --since=1h --json | jq '. | length'
 *   bd create "Fix the login test" --rig myproject --priority 1
 *   bd show gt-k3x9q2mz ; bd close gt-k3x9q2mz
 *   bd import .beads/issues.jsonl --rig myproject --json ; bd export --rig myproject > issues.jsonl
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { CliError, EXIT, api, apiText, command } from './client';
import { colour, json, table } from './output';
import { int, run } from './run';
import type { Bead } from '../contracts/records';

const STATUSES = ['open', 'hooked', 'in_progress', 'blocked', 'done', 'closed'];

const program = new Command('bd').description('Beads: the units of work of a running Gas Town').version('0.1.0');
const withJson = (c: Command) => c.option('--json', 'print JSON (stable, for jq)');

withJson(
  program
    .command('list')
    .description('beads, newest first')
    .option('--status <status>', `one or more of ${STATUSES.join(', ')} (comma-separated)`, (v) => {
      const bad = v.split(',').filter((s) => !STATUSES.includes(s));
      if (bad.length) throw new InvalidArgumentError(`unknown status ${bad.join(', ')}; use ${STATUSES.join(', ')}.`);
      return v;
    })
    .option('--since <duration>', 'changed within this long: 30s, 15m, 1h, 7d', (v) => {
      if (!/^\d+[smhd]$/.test(v)) throw new InvalidArgumentError('a duration such as 30s, 15m, 1h or 7d.');
      return v;
    })
    .option('--rig <rig>', 'only this rig')
    .option('--limit <n>', 'at most this many (default 200, max 1000)', int('--limit')),
).action(async (opts: { status?: string; since?: string; rig?: string; limit?: number; json?: boolean }) => {
  const q = new URLSearchParams();
  if (opts.status) q.set('status', opts.status);
  if (opts.since) q.set('since', opts.since);
  if (opts.rig) q.set('rig', opts.rig);
  q.set('limit', String(opts.limit ?? 1000));
  const beads = await api<Bead[]>('GET', `/api/beads?${q}`);
  if (opts.json) return json(beads);
  table(
    ['ID', 'STATUS', 'P', 'RIG', 'ASSIGNEE', 'TITLE'],
    beads.map((b) => [b.id, b.status, b.priority, b.rig, b.assignee, b.title]),
  );
});

withJson(
  program
    .command('create')
    .description('create a bead')
    .argument('<title>')
    .option('--rig <rig>', 'rig (default: routed by --path)')
    .option('--description <text>', 'what to do')
    .option('--priority <0-4>', '0 is most urgent (default 2)', int('--priority'))
    .option('--label <label...>', 'labels')
    .option('--path <path...>', 'paths the work touches')
    .option('--depends-on <id...>', 'beads that must be done first'),
).action(
  async (
    title: string,
    opts: {
      rig?: string;
      description?: string;
      priority?: number;
      label?: string[];
      path?: string[];
      dependsOn?: string[];
      json?: boolean;
    },
  ) => {
    const bead = await command<Bead>('bead.create', {
      title,
      ...(opts.rig ? { rig: opts.rig } : {}),
      ...(opts.description ? { description: opts.description } : {}),
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      labels: opts.label ?? [],
      paths: opts.path ?? [],
      dependsOn: opts.dependsOn ?? [],
    });
    if (opts.json) return json(bead);
    console.log(bead.id);
  },
);

withJson(program.command('show').description('one bead').argument('<id>')).action(
  async (id: string, opts: { json?: boolean }) => {
    const b = await api<Bead>('GET', `/api/beads/${encodeURIComponent(id)}`);
    if (opts.json) return json(b);
    console.log(`${colour.bold(b.id)} ${b.title}`);
    console.log(`status ${b.status} · priority ${b.priority} · rig ${b.rig} · assignee ${b.assignee ?? '—'}`);
    if (b.dependsOn.length) console.log(`depends on ${b.dependsOn.join(', ')}`);
    if (b.paths.length) console.log(`paths ${b.paths.join(' ')}`);
    if (b.description) console.log(`\n${b.description}`);
  },
);

withJson(program.command('close').description('close a bead that will not be done').argument('<id>')).action(
  async (id: string, opts: { json?: boolean }) => {
    const b = await command<Bead>('bead.close', { id });
    if (opts.json) return json(b);
    console.log(`${b.id}: ${b.status}`);
  },
);

interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  unresolvedDependencies: { id: string; dependsOn: string }[];
}

withJson(
  program
    .command('import')
    .description('import beads from a beads interchange file (.beads/issues.jsonl), ids kept; all or nothing')
    .argument('<file>', 'the issues.jsonl file')
    .option('--rig <rig>', 'rig for new beads (needed when the town has several)'),
).action(async (file: string, opts: { rig?: string; json?: boolean }) => {
  let jsonl: string;
  try {
    jsonl = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, EXIT.usage);
  }
  const r = await api<ImportResult>('POST', '/api/beads/import', { jsonl, ...(opts.rig ? { rig: opts.rig } : {}) }, 120_000);
  if (opts.json) return json(r);
  console.log(`${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged`);
  for (const u of r.unresolvedDependencies)
    console.log(colour.yellow(`${u.id} depends on ${u.dependsOn}, which the town does not know`));
});

program
  .command('export')
  .description('every bead (in play and done) as a beads interchange file, on stdout')
  .option('--rig <rig>', 'only this rig')
  .action(async (opts: { rig?: string }) => {
    process.stdout.write(await apiText(`/api/beads/export${opts.rig ? `?rig=${encodeURIComponent(opts.rig)}` : ''}`));
  });

void run(program, process.argv);
