// One-off migration aid (delete once every branch has merged contracts/): re-points
// imports of definitions that moved from server/ to contracts/, splitting a statement
// when only some of its names moved. Run it on a branch that still imports the old
// homes, then `npx prettier --write` and `npx tsc --noEmit -p .`:
//   node scripts/contracts-codemod.mjs . [files...]   (default: every tracked .ts/.tsx)
import fs from 'node:fs';
import path from 'node:path';
import { execSync } from 'node:child_process';

const root = process.argv[2];
const ALL = '*';
const MOVES = {
  'server/engine/model': { [ALL]: 'contracts/records' },
  'server/realtime/protocol': { [ALL]: 'contracts/realtime' },
  'server/metrics/catalog': { [ALL]: 'contracts/metrics' },
  'server/alerts/model': { [ALL]: 'contracts/alerts' },
  'server/engine/events': { DomainEvent: 'contracts/events', DomainEventType: 'contracts/events', EventOf: 'contracts/events' },
  'server/realtime/topics': { TownView: 'contracts/realtime' },
  'server/metrics/series': {
    SeriesPoint: 'contracts/metrics',
    RangeQuery: 'contracts/metrics',
    RangeResult: 'contracts/metrics',
  },
  'server/alerts/rules': {
    Severity: 'contracts/alerts',
    SEVERITIES: 'contracts/alerts',
    Comparison: 'contracts/alerts',
    Condition: 'contracts/alerts',
    AlertRule: 'contracts/alerts',
  },
  'server/alerts/webhook': { Delivery: 'contracts/alerts', EscalationEvent: 'contracts/alerts' },
  'server/queries/town-view': {
    PolecatView: 'contracts/town',
    RigView: 'contracts/town',
    TownOverview: 'contracts/town',
    MergeQueueView: 'contracts/town',
    RefineryStatsView: 'contracts/town',
  },
  'server/queries/status-view': { StatusView: 'contracts/town' },
  'server/queries/scale-tier': { ScaleTier: 'contracts/town', ScaleTierView: 'contracts/town' },
  'server/engine/deacon': { DeaconStatus: 'contracts/town' },
  'server/fleet/time-ledger': { TimeCategory: 'contracts/town', TimeShareView: 'contracts/town' },
  'server/queries/convoy-view': {
    WaveView: 'contracts/convoys',
    ConvoyView: 'contracts/convoys',
    ConvoySummary: 'contracts/convoys',
  },
  'server/queries/costs-view': {
    CostGroup: 'contracts/costs',
    CostRange: 'contracts/costs',
    CostRow: 'contracts/costs',
    CostsView: 'contracts/costs',
  },
  'server/queries/split-view': { SplitPreview: 'contracts/split' },
  'server/engine/split': {
    PartitionRole: 'contracts/split',
    PartitionPlan: 'contracts/split',
    SplitPlan: 'contracts/split',
    MergeResult: 'contracts/split',
  },
  'server/engine/partitions': { SuggestedSplit: 'contracts/split', PartitionSpec: 'contracts/split' },
  'server/engine/ports': {
    AuditRecord: 'contracts/activity',
    AuditEntry: 'contracts/activity',
    StoredEvent: 'contracts/activity',
  },
  'server/engine/town': { MAX_REFINERY_WORKERS: 'contracts/records' },
  'server/lab/params': {
    LAB_LIMITS: 'contracts/lab',
    labParamsSchema: 'contracts/lab',
    LabParamsInput: 'contracts/lab',
    LabParams: 'contracts/lab',
  },
  'server/lab/sim-repo': { RepoShape: 'contracts/lab', REPO_LIMITS: 'contracts/lab', DEFAULT_REPO_SHAPE: 'contracts/lab' },
  'server/lab/sim-agents': { AgentModel: 'contracts/lab', DEFAULT_AGENT_MODEL: 'contracts/lab' },
  'server/lab/recorder': { Stat: 'contracts/lab', LabFigures: 'contracts/lab', LabSample: 'contracts/lab' },
  'server/lab/run': { LabResult: 'contracts/lab' },
  'server/lab/calibrate': { Recorded: 'contracts/lab', Calibration: 'contracts/lab' },
  'server/lab/preview': {
    changeSchema: 'contracts/lab',
    previewSchema: 'contracts/lab',
    PreviewRequest: 'contracts/lab',
    Change: 'contracts/lab',
    PreviewSide: 'contracts/lab',
    Preview: 'contracts/lab',
  },
  'server/lab/scenarios': { ScenarioRow: 'contracts/lab', ScenarioReport: 'contracts/lab' },
  'server/lab/service': { ScenarioSummary: 'contracts/lab' },
};

const files =
  process.argv.length > 3
    ? process.argv.slice(3)
    : execSync("git ls-files '*.ts' '*.tsx' '*.mts'", { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);

const STMT = /(^|\n)(import|export)(\s+type)?\s*\{([^}]*)\}\s*from\s*'([^']+)';/g;

function resolve(file, spec) {
  let p;
  if (spec.startsWith('@/')) p = spec.slice(2);
  else if (spec.startsWith('.')) p = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
  else return null;
  return p.replace(/\.(ts|tsx|js|mjs)$/, '');
}

function specFor(file, target, alias) {
  if (alias) return `@/${target}`;
  let rel = path.posix.relative(path.posix.dirname(file), target);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}

let changed = 0;
for (const file of files) {
  const full = path.join(root, file);
  if (!fs.existsSync(full)) continue;
  const src = fs.readFileSync(full, 'utf8');
  const self = file.replace(/\.(ts|tsx|mts)$/, '');
  const out = src.replace(STMT, (whole, lead, kw, typeKw, body, spec) => {
    const mod = resolve(file, spec);
    const move = mod && MOVES[mod];
    if (!move) return whole;
    const names = body
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const groups = new Map();
    for (const n of names) {
      const bare = n
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)[0]
        .trim();
      const target = move[bare] ?? move[ALL] ?? null;
      const key = target && target !== self ? target : spec;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(n);
    }
    if (groups.size === 1 && groups.has(spec)) return whole;
    const stmts = [...groups].map(([key, ns]) => {
      const s = key === spec ? spec : specFor(file, key, spec.startsWith('@/'));
      return `${kw}${typeKw ?? ''} { ${ns.join(', ')} } from '${s}';`;
    });
    return lead + stmts.join('\n');
  });
  if (out !== src) {
    fs.writeFileSync(full, out);
    changed++;
    console.log(file);
  }
}
console.error(`${changed} files changed`);
