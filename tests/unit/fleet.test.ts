/**
 * The overview's derived readings: the seed's scale table, where the fleet's time goes,
 * and the diagrams' text (user-named rigs cannot break or inject into Mermaid).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock';
import { EventBus } from '../../server/engine/events';
import { TimeLedger } from '../../server/fleet/time-ledger';
import type { WaveView } from '../../contracts/convoys';
import { partitionDiagram, patrolDiagram, waveDiagram, WAVES_PER_ROW } from '../../server/queries/diagrams';
import { scaleTier, type ScaleInput } from '../../server/queries/scale-tier';

const base: ScaleInput = {
  agents: 8,
  rigs: 1,
  cores: 8,
  memoryGb: 32,
  partitioned: false,
  staggered: false,
  multiRefinery: false,
  tieredPatrols: true,
};

describe('scale tier', () => {
  it.each([
    [3, 'Small'],
    [10, 'Small'],
    [11, 'Medium'],
    [20, 'Medium'],
    [30, 'Large'],
    [41, 'XL'],
  ])('puts %i agents in the %s tier of the seed’s table', (agents, tier) => {
    expect(scaleTier({ ...base, agents }).tier).toBe(tier);
  });

  it('recommends the seed’s setup and says what to do when the town outgrew it', () => {
    const large = scaleTier({ ...base, agents: 30, rigs: 2, tieredPatrols: false });
    expect(large.recommended).toEqual({ agents: '20-40', rigs: '5-15', setup: 'Two machines, load-balanced rigs' });
    expect(large.advice.join(' | ')).toMatch(/2 rigs for 30 agents: split rigs/);
    expect(large.advice).toContain('tier the Deacon’s patrols');
    expect(large.advice).toContain('stagger convoys into waves');
    expect(large.advice).toContain('add Refinery workers to busy rigs');
    expect(scaleTier({ ...base, cores: 2, memoryGb: 23 }).advice.join()).toMatch(
      /2 cores and 23 GB; the seed recommends 8\+ cores/,
    );
    expect(scaleTier(base).advice).toEqual([]);
  });
});

describe('time ledger', () => {
  it('adds agent, git, check and coordination time in real ms and shows the seed’s shares beside', () => {
    const clock = new VirtualClock(0);
    const ledger = new TimeLedger(clock);
    const bus = new EventBus(() => {});
    ledger.attach(bus);
    const state = (at: number, from: string, to: string) =>
      bus.publish({ type: 'polecat.state_changed', at, rig: 'r', polecat: 'r/a', from, to, bead: 'b' } as never);
    state(0, 'idle', 'working');
    state(6_000, 'working', 'submitted'); // 6 s of agent session
    state(8_000, 'submitted', 'reworking');
    state(10_000, 'reworking', 'submitted'); // +2 s
    ledger.gitCall(1_000);
    bus.publish({ type: 'refinery.validated', at: 1, rig: 'r', mr: 'm', slot: 0, ok: true, durationMs: 2_000, covers: 1 });
    bus.publish({ type: 'mayor.dispatched', at: 1, assignments: 1, decisionMs: 500 });
    bus.publish({ type: 'deacon.patrolled', at: 1, rig: 'r', tier: 'hot', durationMs: 500, gatesOpened: 0, findings: [] });
    const view = ledger.view(10_000);
    const ms = Object.fromEntries(view.categories.map((c) => [c.key, c.ms]));
    expect(ms).toEqual({ agents: 8_000, git: 1_000, checks: 2_000, coordination: 1_000 });
    expect(view.categories.find((c) => c.key === 'agents')!.share).toBeCloseTo(8 / 12);
    expect(view.categories.map((c) => c.seedShare)).toEqual([0.45, 0.25, 0.2, 0.1]);
  });
});

describe('diagrams', () => {
  it('draws every rig with its scope, polecats and Refinery to a shared target, labels sanitised', () => {
    const text = partitionDiagram([
      { name: 'app-core', scope: 'core/**', polecats: 7, workers: 2, queueDepth: 6, state: 'active', target: 'app main' },
      { name: 'app-ui', scope: 'ui/"]; click x', polecats: 1, workers: 1, queueDepth: 0, state: 'new', target: 'app main' },
    ]);
    expect(text).toContain('R_app_core["app-core<br/>core/**<br/>7 polecats"]:::active');
    expect(text).toContain('Q_app_core[["Refinery ×2<br/>queue 6"]]:::hot');
    expect(text).toContain('town --> R_app_ui --> Q_app_ui --> T0');
    expect(text).not.toContain('"];');
    expect(text.match(/T0\[\(/g)).toHaveLength(1);
  });

  it('draws one line per rig, its Refinery and own target inline, without the town fan, once there are more than 8 rigs', () => {
    const rigs = Array.from({ length: 20 }, (_, i) => ({
      name: `rig-${i}`,
      scope: 'whole repository',
      polecats: 5,
      workers: 1,
      queueDepth: i === 3 ? 7 : 0,
      state: 'active' as const,
      target: `rig-${i} main`,
    }));
    const text = partitionDiagram(rigs);
    expect(text).not.toContain('[["Refinery');
    // Each rig lands on a repository of its own: its target is written in its node.
    expect(text).toContain('R_rig_3["rig-3 → rig-3 main · 5 polecats · Refinery ×1 · queue 7"]:::hot');
    expect(text).toContain('R_rig_4["rig-4 → rig-4 main · 5 polecats · Refinery ×1"]:::active');
    expect(text).not.toContain('[(');
    expect(text.match(/^ {2}R_\w+\[/gm)).toHaveLength(20);
    // No edges at all: nothing is shared, and every rig belongs to the town.
    expect(text).not.toContain('-->');
    expect(text).not.toContain('town([');
    // The rigs stand closer together than Mermaid's default.
    expect(text.startsWith('---\nconfig:\n  flowchart:\n    nodeSpacing: 14\n    wrappingWidth: 600\n---\nflowchart LR\n')).toBe(
      true,
    );
  });

  it('keeps a target shared by the partitions of one repository as a node when compact', () => {
    const rigs = Array.from({ length: 10 }, (_, i) => ({
      name: `rig-${i}`,
      scope: i < 2 ? `part-${i}/**` : 'whole repository',
      polecats: 3,
      workers: 1,
      queueDepth: 0,
      state: 'active' as const,
      target: i < 2 ? 'mono main' : `rig-${i} main`,
    }));
    const text = partitionDiagram(rigs);
    expect(text.match(/T\d+\[\(/g)).toEqual(['T0[(']);
    expect(text).toContain('T0[("mono main")]');
    expect(text).toContain('  R_rig_0 --> T0\n');
    expect(text).toContain('  R_rig_1 --> T0\n');
    expect(text).toContain('R_rig_1["rig-1 · part-1/** · 3 polecats · Refinery ×1"]:::active');
    expect(text).toContain('R_rig_5["rig-5 → rig-5 main · 3 polecats');
    expect(text.match(/-->/g)).toHaveLength(2);
    // A hostile rig name or scope stays text inside its line, in compact form too.
    const hostile = partitionDiagram(
      rigs.map((r, i) => (i === 7 ? { ...r, name: 'x"]; click R_rig_0 call alert()', scope: 'ui/"]\n---' } : r)),
    );
    expect(hostile).toContain('R_x____click_R_rig_0_call_alert__["x click R_rig_0 call alert() · ui/ --- → rig-7 main');
    expect(hostile).not.toContain('"];');
    expect(hostile.match(/^---$/gm)).toHaveLength(2);
  });

  it('draws the tiered patrol with each tier’s cadence and rigs in its box, rig names two a line', () => {
    const text = patrolDiagram('tiered', [
      { name: 'hot', intervalMs: 30_000, lastCycleMs: 10_000, rigs: ['a', 'b'] },
      { name: 'cold', intervalMs: 600_000, lastCycleMs: null, rigs: [] },
    ]);
    expect(text).toContain('L_hot["Hot: 2 rigs<br/>every 30 s · last 10 s<br/>a, b"]:::hot');
    // No edge label: one as wide as a box made the drawing too wide for its third of the page.
    expect(text).toContain('  D --> L_hot\n');
    expect(text).not.toContain('-->|');
    expect(text).toContain('L_cold["Cold: 0 rigs<br/>every 10 min<br/>no rigs"]');
    const many = patrolDiagram('tiered', [
      { name: 'hot', intervalMs: 30_000, lastCycleMs: null, rigs: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] },
    ]);
    expect(many).toContain('L_hot["Hot: 8 rigs<br/>every 30 s<br/>a, b<br/>c, d<br/>e, f<br/>+2 more"]:::hot');
  });

  const wave = (index: number, state: WaveView['state'] = 'held'): WaveView => ({
    index,
    state,
    beads: 2,
    done: state === 'landed' ? 2 : 0,
    dispatchedAt: null,
    landedAt: null,
    merged: 0,
    conflicts: 0,
    rejections: 0,
    conflictRate: null,
  });

  it('draws a short wave plan on one line: wave -> merges land -> wave', () => {
    const text = waveDiagram([wave(1, 'landed'), wave(2, 'dispatched'), wave(3)]);
    expect(text).toContain('\nflowchart LR\n');
    expect(text).not.toContain('subgraph');
    expect(text).toContain('  W1 --> M1 --> W2\n');
    expect(text).toContain('  W2 --> M2 --> W3\n');
    expect(text).toContain('M1(["merges land"]):::landed');
    expect(text).not.toContain('M3');
  });

  it(`wraps a long wave plan into rows of ${WAVES_PER_ROW}, top to bottom, each row linked to the next by its gate`, () => {
    const text = waveDiagram(Array.from({ length: 12 }, (_, i) => wave(i + 1, i === 0 ? 'dispatched' : 'held')));
    expect(text).toContain('\nflowchart TB\n');
    const rows = [...text.matchAll(/subgraph (ROW\d+)\["([^"]+)"\]\n {4}direction LR/g)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual([
      ['ROW1', 'Waves 1-3'],
      ['ROW4', 'Waves 4-6'],
      ['ROW7', 'Waves 7-9'],
      ['ROW10', 'Waves 10-12'],
    ]);
    expect(text).toContain('    W4 --> M4 --> W5\n');
    // Rows link to rows (a wave linked out of its row would undo the row's direction).
    expect(text).not.toMatch(/W3 --> M3|M3 --> W4/);
    expect(text).toContain('  ROW1 -->|"merges land"| ROW4\n');
    expect(text).toContain('  ROW7 -->|"merges land"| ROW10\n');
    expect(text.match(/\bW\d+\["Wave \d/g)).toHaveLength(12);
    // A row of one wave is titled as one.
    expect(waveDiagram(Array.from({ length: 4 }, (_, i) => wave(i + 1)))).toContain('subgraph ROW4["Wave 4"]');
  });
});
