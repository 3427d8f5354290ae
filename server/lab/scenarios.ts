/**
 * The seed's claims as runnable what-ifs. Each scenario is a few variants of one run,
 * printed with the seed's figure beside the simulated one. The seed's figures are quotes
 * of the document; every simulated figure comes from running the engine.
 */
import type { LabParamsInput, LabFigures, ScenarioReport, ScenarioRow } from '../../contracts/lab';
import { runLab } from './run';

export interface ScenarioVariant {
  label: string;
  params: LabParamsInput;
  /** What the seed says for this variant. */
  seedFigure: string;
}

export interface Column {
  label: string;
  value: (f: LabFigures) => number | null;
  format: (v: number) => string;
}

export interface Scenario {
  id: string;
  title: string;
  /** The seed's claim, in its words. */
  claim: string;
  /** The headline figure compared with the seed's. */
  metric: Column;
  /** Further figures printed beside it. */
  columns: Column[];
  /** Also print each variant's headline as a multiple of the first variant's (1x, 3x). */
  ratioToFirst?: boolean;
  variants: ScenarioVariant[];
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const num = (digits: number) => (v: number) => v.toFixed(digits);
const dur = (ms: number) => (ms >= 90_000 ? `${(ms / 60_000).toFixed(1)} min` : `${Math.round(ms / 1000)} s`);
const hoursFmt = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;

const C = {
  conflictRate: { label: 'conflict rate', value: (f: LabFigures) => f.conflictRate, format: pct },
  attempts: { label: 'attempts', value: (f: LabFigures) => f.attempts, format: num(0) },
  mergesPerHour: { label: 'merges/h', value: (f: LabFigures) => f.mergesPerHour, format: num(1) },
  queueMean: { label: 'queue mean', value: (f: LabFigures) => f.queueDepth.mean, format: num(1) },
  queueMax: { label: 'queue max', value: (f: LabFigures) => f.queueDepth.max, format: num(0) },
  wait: { label: 'wait p50 (min)', value: (f: LabFigures) => f.timeInQueueMinutesP50, format: num(1) },
  checkFailures: { label: 'check failures', value: (f: LabFigures) => f.checkFailureRate, format: pct },
  cycle: { label: 'patrol cycle', value: (f: LabFigures) => f.patrolCycleMs.mean, format: dur },
  hotGap: { label: 'hot-rig gap p95', value: (f: LabFigures) => f.hotPatrolGapMs.p95, format: dur },
  landed: { label: 'convoy landed in', value: (f: LabFigures) => f.convoyLandedMs, format: hoursFmt },
} satisfies Record<string, Column>;

/**
 * The Refinery is the bottleneck (6-minute checks, 30 polecats) in a repository where
 * changes rarely overlap and few break the checks: the seed's "triples throughput" is a
 * claim about parallel validation, and conflicts hold window slots like failures do.
 */
const WORKERS_RUN: LabParamsInput = {
  polecatsPerRig: 30,
  checkMinutes: 6,
  failureRate: 0.02,
  modulesPerArea: 400,
  regionsPerFile: 64,
};

/** 3-minute checks: one Refinery holds 5+ items, the seed's signal to split. */
const SPLIT_RUN: LabParamsInput = { polecatsPerRig: 20, checkMinutes: 3 };

export const SCENARIOS: Scenario[] = [
  {
    id: 'conflicts',
    title: 'Polecats on one rig: conflict rate and queue growth',
    claim: '5 polecats -> ~10% conflict rate; 15 -> ~30%; 30 -> ~50%+ (rebase storms, Refinery backlog)',
    metric: C.conflictRate,
    columns: [C.attempts, C.mergesPerHour, C.queueMean, C.queueMax, C.wait],
    variants: [
      { label: '5 polecats', params: { polecatsPerRig: 5 }, seedFigure: '~10%' },
      { label: '15 polecats', params: { polecatsPerRig: 15 }, seedFigure: '~30%' },
      { label: '30 polecats', params: { polecatsPerRig: 30 }, seedFigure: '50%+' },
    ],
  },
  {
    id: 'patrol',
    title: 'Deacon patrol: sequential against tiered',
    claim: 'Sequential patrol cycle: 3 rigs ~30 s, 10 rigs ~2 min, 20 rigs ~5 min; tiered: hot rigs every 30 s',
    metric: C.hotGap,
    columns: [C.cycle, C.mergesPerHour],
    variants: [3, 10, 20].flatMap((rigs) => [
      {
        label: `${rigs} rigs, sequential`,
        params: { rigs, activeRigs: 3, polecatsPerRig: 2, deaconMode: 'sequential' as const, hours: 2 },
        seedFigure: { 3: '~30 s', 10: '~2 min', 20: '~5 min' }[rigs]!,
      },
      {
        label: `${rigs} rigs, tiered`,
        params: { rigs, activeRigs: 3, polecatsPerRig: 2, deaconMode: 'tiered' as const, hours: 2 },
        seedFigure: '30 s (hot)',
      },
    ]),
  },
  {
    id: 'workers',
    title: 'Refinery workers: 1 against 3',
    claim: 'Multiple Refinery workers process the merge queue in parallel ... this triples merge throughput',
    metric: C.mergesPerHour,
    ratioToFirst: true,
    columns: [C.conflictRate, C.checkFailures, C.queueMean, C.wait],
    variants: [
      { label: '1 worker', params: WORKERS_RUN, seedFigure: '1x' },
      { label: '3 workers', params: { ...WORKERS_RUN, workers: 3 }, seedFigure: '3x' },
    ],
  },
  {
    id: 'stagger',
    title: 'A convoy of 20 beads: all at once against waves of 5',
    claim: 'Stagger dispatches in waves: later polecats work on a codebase that already includes earlier changes',
    metric: C.conflictRate,
    columns: [C.attempts, C.landed, C.queueMax],
    variants: [
      {
        label: 'all at once',
        params: { polecatsPerRig: 20, convoy: { beads: 20, waveSize: null }, hours: 24 },
        seedFigure: 'conflicts compound',
      },
      {
        label: 'waves of 5',
        params: { polecatsPerRig: 20, convoy: { beads: 20, waveSize: 5 }, hours: 24 },
        seedFigure: 'minimal conflicts',
      },
    ],
  },
  {
    id: 'split',
    title: '20 polecats on one rig against a split into 3 rigs',
    claim:
      'myproject/ with 20 polecats (merge queue overwhelmed) -> core 7, ui 7, tests 6: dramatically reduces per-rig contention',
    metric: C.conflictRate,
    columns: [C.attempts, C.mergesPerHour, C.queueMean, C.queueMax, C.wait],
    variants: [
      { label: 'one rig, 20 polecats', params: SPLIT_RUN, seedFigure: 'queue overwhelmed' },
      { label: 'split into 3 (7/7/6)', params: { ...SPLIT_RUN, split: 3 }, seedFigure: 'contention reduced' },
    ],
  },
];

export function findScenario(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

const show = (c: Column, f: LabFigures) => {
  const v = c.value(f);
  return { label: c.label, value: v, text: v === null ? '-' : c.format(v) };
};

/** Runs every variant of a scenario; `overrides` (seed, hours...) apply to all of them. */
export async function runScenario(scenario: Scenario, overrides: LabParamsInput = {}): Promise<ScenarioReport> {
  const started = performance.now();
  const rows: ScenarioRow[] = [];
  for (const v of scenario.variants) {
    const result = await runLab({ ...v.params, ...overrides });
    const head = show(scenario.metric, result.figures);
    const first = rows[0]?.value ?? head.value;
    const ratio = scenario.ratioToFirst && head.value !== null && first ? ` (${(head.value / first).toFixed(2)}x)` : '';
    rows.push({
      label: v.label,
      seedFigure: v.seedFigure,
      value: head.value,
      simulated: head.text + ratio,
      columns: scenario.columns.map((c) => show(c, result.figures)),
      result,
    });
  }
  return {
    scenario: { id: scenario.id, title: scenario.title, claim: scenario.claim },
    metric: scenario.metric.label,
    rows,
    wallMs: Math.round(performance.now() - started),
  };
}

/** The report as a plain-text table (the CLI's output). */
export function formatReport(report: ScenarioReport): string {
  const header = [
    'variant',
    `seed: ${report.metric}`,
    `simulated: ${report.metric}`,
    ...(report.rows[0]?.columns.map((c) => c.label) ?? []),
  ];
  const body = report.rows.map((r) => [r.label, r.seedFigure, r.simulated, ...r.columns.map((c) => c.text)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const seeds = [...new Set(report.rows.map((r) => r.result.params.seed))].join(', ');
  const hours = [...new Set(report.rows.map((r) => r.result.run.virtualHours.toFixed(1)))].join(', ');
  return [
    `${report.scenario.title}`,
    `seed's claim: ${report.scenario.claim}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    `random seed ${seeds}; virtual hours ${hours}; ${(report.wallMs / 1000).toFixed(2)} s of wall time`,
  ].join('\n');
}
