/**
 * The hostile-input suite's tables: a valid input per command of the catalogue (each
 * hostile variant changes one place of it, so that one place is what gets refused), and
 * per route file and method under app/api what it takes. A command or route missing here
 * fails the suite (tests/integration/hostile-input.test.ts).
 */
import type { Json } from './hostile-cases';

export interface CommandCase {
  /** Valid for the command's schema (the suite checks): never sent as it is unless `asIsRefused`. */
  base: Json;
  /** `base` names nothing in the demo town (or cannot apply to it): sent as it is, it must be a 4xx. */
  asIsRefused?: boolean;
  /** Number fields that take any finite value or fractions. */
  numbers?: Record<string, 'any' | 'fractional'>;
  /** Variants that are valid for this input (hostileVariants' labels). */
  skip?: string[];
}

const RIG = 'myproject';
const POLECAT = 'myproject/furiosa';

export const COMMAND_CASES: Record<string, CommandCase> = {
  'bead.create': {
    base: { rig: RIG, title: 'Hostile bead', description: 'why', priority: 1, labels: ['core'], dependsOn: [], paths: ['core/'] },
  },
  'polecat.add': { base: { rig: RIG, count: 1 } },
  // A clone git refuses (no such repository): even a variant the schema let through leaves nothing behind.
  'rig.add': {
    base: { name: 'hostile-rig', url: 'file:///zz-no-such-repo.git', branch: 'main', local: true, polecats: 1 },
    asIsRefused: true,
  },
  // The suite's server is a single server: a move is refused (409) whatever it names.
  'rig.move': { base: { rig: RIG, node: 'node-b' }, asIsRefused: true },
  'rig.remove': { base: { rig: 'zz-unknown', drain: false, purge: false }, asIsRefused: true },
  'polecat.remove': { base: { rig: RIG, name: 'zz-nobody', force: false }, asIsRefused: true },
  'bead.sling': { base: { bead: 'gt-zzunknown', rig: RIG, polecat: 'furiosa' }, asIsRefused: true },
  // A dependency cycle: the town refuses the file whole, whatever one variant changes elsewhere.
  'bead.import': {
    base: {
      jsonl:
        '{"id":"bd-h1","title":"one","created_at":"2026-01-01T00:00:00Z","dependencies":[{"depends_on_id":"bd-h2","type":"blocks"}]}\n' +
        '{"id":"bd-h2","title":"two","created_at":"2026-01-01T00:00:00Z","dependencies":[{"depends_on_id":"bd-h1","type":"blocks"}]}\n',
      rig: RIG,
    },
    asIsRefused: true,
  },
  'refinery.scale': { base: { rig: RIG, workers: 2 } },
  'refinery.configure': {
    base: {
      rig: RIG,
      mergeMode: 'batch',
      batchSize: 4,
      maxAttempts: 3,
      checks: [{ name: 'test', command: ['npm', 'test'], timeoutMs: 60_000 }],
      setup: { command: ['npm', 'ci'], timeoutMs: 600_000, inputs: ['package-lock.json'] },
    },
  },
  'agent.configure': { base: { rig: RIG, agent: { kind: 'scripted' }, maxConcurrency: 2, timeoutMs: 60_000 } },
  'rig.split': {
    base: {
      rig: RIG,
      partitions: [{ name: 'myproject-core', globs: ['core/**'] }],
      remainder: 'myproject-rest',
      spanning: 'stay',
      polecats: { 'myproject-core': 1 },
    },
    skip: ['polecats: empty'],
  },
  'rig.merge': { base: { rig: RIG }, asIsRefused: true },
  'rig.park': { base: { rig: RIG } },
  // The demo rig lands locally: both answer 409 as they are (nothing to fetch from).
  'rig.fetch': { base: { rig: RIG }, asIsRefused: true },
  'rig.upstream': { base: { rig: RIG, fetchIntervalMs: 60_000, pushBranches: false }, asIsRefused: true },
  'rig.unpark': { base: { rig: RIG } },
  'rig.tier': { base: { rig: RIG, tier: 'warm' } },
  'witness.configure': { base: { rig: RIG, intervalMs: 60_000, heartbeatTimeoutMs: 60_000, progressTimeoutMs: 60_000 } },
  'deacon.configure': {
    base: { mode: 'tiered', tierIntervalsMs: { hot: 60_000, warm: 120_000, cold: 600_000 }, gateFastPath: true },
  },
  'polecat.restart': { base: { polecat: POLECAT } },
  'polecat.nudge': { base: { polecat: POLECAT } },
  'polecat.inject': { base: { polecat: POLECAT, failure: 'hang', sticky: false } },
  'escalation.ack': { base: { id: 'esc-zz-unknown' }, asIsRefused: true },
  'escalation.resolve': { base: { id: 'esc-zz-unknown' }, asIsRefused: true },
  'gate.create': { base: { kind: 'timer', title: 'Hold', holds: ['gt-zzunknown'], inMs: 60_000, rig: RIG }, asIsRefused: true },
  'gate.approve': { base: { id: 'gate-zz-unknown' }, asIsRefused: true },
  'convoy.create': {
    base: {
      title: 'Hostile convoy',
      beads: [{ rig: RIG, title: 'b1', description: 'd', priority: 1, labels: ['core'], dependsOn: [], paths: ['core/'] }],
      hold: true,
    },
  },
  'convoy.dispatch': { base: { id: 'cv-zzunknown', waveSize: 2 }, asIsRefused: true },
  'convoy.stagger': { base: { id: 'cv-zzunknown', waveSize: 'auto' }, asIsRefused: true },
  'convoy.add': { base: { id: 'cv-zzunknown', beads: ['gt-zzunknown'] }, asIsRefused: true },
  'convoy.remove': { base: { id: 'cv-zzunknown', bead: 'gt-zzunknown' }, asIsRefused: true },
  'bead.close': { base: { id: 'gt-zzunknown' }, asIsRefused: true },
  'bead.depend': { base: { id: 'gt-zzunknown', on: ['gt-zzunknown2'] }, asIsRefused: true },
  'costs.budget': {
    base: { dailyBudgetUsd: 100, alertThresholdUsd: 80 },
    numbers: { dailyBudgetUsd: 'fractional', alertThresholdUsd: 'fractional' },
  },
  'providers.limit': { base: { provider: 'anthropic', maxSessions: 5, tokensPerMinute: 100_000 } },
  'alert.ack': { base: { id: 'alert-zz-unknown' }, asIsRefused: true },
  'alert.silence': { base: { matchers: [{ name: 'rig', value: RIG }], reason: 'maintenance', durationMs: 3_600_000 } },
  'silence.expire': { base: { id: 'sil-zz-unknown' }, asIsRefused: true },
  'alert.rule.create': {
    base: {
      id: 'hostile-rule',
      name: 'Hostile',
      description: 'd',
      severity: 'warning',
      scope: 'rig',
      conditions: [{ metric: 'polecat_max_silence', op: '>', threshold: 900 }],
      match: 'all',
      forMs: 0,
      keepFiringForMs: 0,
      enabled: true,
      inhibits: [],
    },
    numbers: { 'conditions.0.threshold': 'any' },
    // A new rule's id names nothing yet: that is what creating it means.
    skip: ['id: unknown'],
  },
  'alert.rule.update': { base: { id: 'zz-unknown-rule', enabled: false }, asIsRefused: true },
  'alert.rule.delete': { base: { id: 'zz-unknown-rule' }, asIsRefused: true },
  'alert.rules.reset': { base: {} },
};

export interface RouteCase {
  /** The path with sample values for its parameters, e.g. `/api/rigs/{rig}/split`. */
  path: string;
  /** Sample values for the `[param]` segments. */
  params?: Record<string, string>;
  /** The command behind a write and the body key its path parameter fills (`withParam`). */
  command?: string;
  fromPath?: string;
  /** A body with no command behind it (the lab's what-ifs): generic hostile bodies. */
  genericBody?: boolean;
  /** A read whose query the route parses strictly: every bad query is a 400. Else ignored or loose. */
  strictQuery?: boolean;
  /** Answers without a token (health). */
  public?: boolean;
  /** Queries a read refuses (a bad value of a parameter it reads), beside the generic ones. */
  badQueries?: string[];
}

const rig = { rig: RIG };

/** `route method` -> what it takes. Keys are the route file's folder under app/api. */
export const ROUTE_CASES: Record<string, RouteCase> = {
  '[...unknown] GET': { path: '/api/{unknown}', params: { unknown: 'zz-nope' } },
  '[...unknown] POST': { path: '/api/{unknown}', params: { unknown: 'zz-nope' } },
  '[...unknown] PUT': { path: '/api/{unknown}', params: { unknown: 'zz-nope' } },
  '[...unknown] PATCH': { path: '/api/{unknown}', params: { unknown: 'zz-nope' } },
  '[...unknown] DELETE': { path: '/api/{unknown}', params: { unknown: 'zz-nope' } },
  'alerts/[id]/ack POST': { path: '/api/alerts/{id}/ack', params: { id: 'alert-zz-unknown' }, command: 'alert.ack' },
  'alerts/[id]/silence POST': {
    path: '/api/alerts/{id}/silence',
    params: { id: 'alert-zz-unknown' },
    command: 'alert.silence',
    fromPath: 'alertId',
  },
  'alerts/active GET': { path: '/api/alerts/active' },
  'alerts GET': { path: '/api/alerts', strictQuery: true },
  'alerts/rules/[id] PATCH': {
    path: '/api/alerts/rules/{id}',
    params: { id: 'zz-unknown-rule' },
    command: 'alert.rule.update',
    fromPath: 'id',
  },
  'alerts/rules/[id] DELETE': { path: '/api/alerts/rules/{id}', params: { id: 'zz-unknown-rule' }, command: 'alert.rule.delete' },
  'alerts/rules/reset POST': { path: '/api/alerts/rules/reset', command: 'alert.rules.reset' },
  'alerts/rules GET': {
    path: '/api/alerts/rules',
    badQueries: [
      'format=yaml',
      'format=',
      'format=%ff',
      'format=prometheus&format=json',
      `format=${'p'.repeat(5_000)}`,
      'format=Prometheus',
    ],
  },
  'alerts/rules POST': { path: '/api/alerts/rules', command: 'alert.rule.create' },
  'alerts/webhook GET': { path: '/api/alerts/webhook' },
  'alerts/alertmanager GET': { path: '/api/alerts/alertmanager' },
  'audit GET': { path: '/api/audit', strictQuery: true },
  'beads/[id] GET': { path: '/api/beads/{id}', params: { id: 'gt-zzunknown' } },
  'beads GET': { path: '/api/beads', strictQuery: true },
  'beads/import POST': { path: '/api/beads/import', command: 'bead.import' },
  'beads/export GET': { path: '/api/beads/export', strictQuery: true },
  'beads POST': { path: '/api/beads', command: 'bead.create' },
  'commands/[name] POST': { path: '/api/commands/{name}', params: { name: 'bead.create' }, command: 'bead.create' },
  'commands GET': { path: '/api/commands' },
  'cluster GET': { path: '/api/cluster' },
  'convoys/[id]/dispatch POST': {
    path: '/api/convoys/{id}/dispatch',
    params: { id: 'cv-zzunknown' },
    command: 'convoy.dispatch',
    fromPath: 'id',
  },
  'convoys/[id] GET': { path: '/api/convoys/{id}', params: { id: 'cv-zzunknown' } },
  'convoys/[id]/stagger POST': {
    path: '/api/convoys/{id}/stagger',
    params: { id: 'cv-zzunknown' },
    command: 'convoy.stagger',
    fromPath: 'id',
  },
  'convoys GET': { path: '/api/convoys' },
  'convoys POST': { path: '/api/convoys', command: 'convoy.create' },
  'costs GET': { path: '/api/costs', strictQuery: true },
  'escalations GET': { path: '/api/escalations', strictQuery: true },
  'events GET': { path: '/api/events', strictQuery: true },
  'gates GET': { path: '/api/gates', strictQuery: true },
  'gates POST': { path: '/api/gates', command: 'gate.create' },
  'health GET': { path: '/api/health', public: true },
  'lab/calibrate GET': { path: '/api/lab/calibrate', badQueries: ['rig=myproject&from=zz-nowhere'] },
  'lab/history GET': { path: '/api/lab/history' },
  'lab/history POST': { path: '/api/lab/history', genericBody: true },
  'lab/preview POST': { path: '/api/lab/preview', genericBody: true },
  'lab/run POST': { path: '/api/lab/run', genericBody: true },
  'lab/scenarios/[id] POST': { path: '/api/lab/scenarios/{id}', params: { id: 'zz-unknown-scenario' }, genericBody: true },
  'lab/scenarios GET': { path: '/api/lab/scenarios' },
  'metrics-series GET': { path: '/api/metrics-series', strictQuery: true },
  'mq GET': { path: '/api/mq' },
  'refinery/stats GET': { path: '/api/refinery/stats' },
  'rigs/[rig]/agent GET': { path: '/api/rigs/{rig}/agent', params: rig },
  'rigs/[rig]/agent PATCH': { path: '/api/rigs/{rig}/agent', params: rig, command: 'agent.configure', fromPath: 'rig' },
  'rigs/[rig]/merge POST': { path: '/api/rigs/{rig}/merge', params: rig, command: 'rig.merge' },
  'rigs/[rig]/polecats/[name]/log GET': { path: '/api/rigs/{rig}/polecats/{name}/log', params: { rig: RIG, name: 'furiosa' } },
  'rigs/[rig]/polecats POST': { path: '/api/rigs/{rig}/polecats', params: rig, command: 'polecat.add', fromPath: 'rig' },
  'rigs/[rig]/refinery PATCH': { path: '/api/rigs/{rig}/refinery', params: rig, command: 'refinery.configure', fromPath: 'rig' },
  'rigs/[rig]/refinery/scale POST': {
    path: '/api/rigs/{rig}/refinery/scale',
    params: rig,
    command: 'refinery.scale',
    fromPath: 'rig',
  },
  'rigs/[rig] GET': { path: '/api/rigs/{rig}', params: rig },
  'rigs/[rig]/mq/[id] GET': { path: '/api/rigs/{rig}/mq/{id}', params: { rig: RIG, id: 'mr-zzunknown' } },
  'rigs GET': { path: '/api/rigs' },
  'rigs POST': { path: '/api/rigs', command: 'rig.add' },
  'rigs/clones GET': { path: '/api/rigs/clones' },
  'rigs/[rig]/split/preview POST': {
    path: '/api/rigs/{rig}/split/preview',
    params: rig,
    command: 'rig.split',
    fromPath: 'rig',
  },
  'rigs/[rig]/split POST': { path: '/api/rigs/{rig}/split', params: rig, command: 'rig.split', fromPath: 'rig' },
  'rigs/[rig]/split/suggest GET': { path: '/api/rigs/{rig}/split/suggest', params: rig },
  'silences/[id] DELETE': { path: '/api/silences/{id}', params: { id: 'sil-zz-unknown' }, command: 'silence.expire' },
  'silences GET': { path: '/api/silences', strictQuery: true },
  'silences POST': { path: '/api/silences', command: 'alert.silence' },
  'status GET': { path: '/api/status' },
  'town GET': { path: '/api/town' },
};
