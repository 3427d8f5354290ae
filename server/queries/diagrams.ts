/**
 * Mermaid text for the pages to render live: a convoy's waves ("Wave 1: 5 beads -> merges
 * land -> Wave 2 ...") coloured by state. Labels are sanitised: bead and convoy titles are
 * user input and must not break (or inject into) the diagram.
 */
import type { WaveView } from '../../contracts/convoys';

const STATE_CLASS: Record<WaveView['state'], string> = {
  held: 'held',
  ready: 'ready',
  dispatched: 'active',
  landed: 'landed',
};

/** Text safe inside a quoted Mermaid label. */
export function label(text: string): string {
  return text
    .replace(/["<>{}[\]|#;`\\]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Waves drawn on one line; a longer plan wraps into rows of this many. */
export const WAVES_PER_ROW = 3;

/**
 * Waves stand closer together than Mermaid's default (50 px between ranks, which across a
 * row of three waves and their gates is a third of its width): a row is then ~950 px wide,
 * drawn at 11 px text or more in the convoy page's ~700 px panel.
 */
const WAVES_CONFIG = ['---', 'config:', '  flowchart:', '    rankSpacing: 16', '    nodeSpacing: 20', '---'];

/**
 * The plan, left to right: wave -> "merges land" -> next wave. Past WAVES_PER_ROW waves one
 * strip would be drawn too small to read (12 waves of 2 were ~5 px boxes), so the plan
 * wraps: rows of WAVES_PER_ROW waves, top to bottom, each row a subgraph laid out left to
 * right and linked to the next row. Edges run between the rows themselves, not from a wave
 * to the next row's first wave: Mermaid drops a subgraph's own direction once one of its
 * nodes links outside it.
 */
export function waveDiagram(waves: WaveView[]): string {
  const wrap = waves.length > WAVES_PER_ROW;
  const lines = [...WAVES_CONFIG, wrap ? 'flowchart TB' : 'flowchart LR'];
  if (waves.length === 0) {
    lines.push('  none["not dispatched yet"]:::held');
  }
  const node = (w: WaveView) => {
    const rate =
      w.conflictRate === null ? '' : `${wrap ? '<br/>' : ' · '}${label(`${Math.round(w.conflictRate * 100)}% conflicts`)}`;
    return `W${w.index}["Wave ${w.index}: ${w.beads} beads<br/>${w.state} ${w.done}/${w.beads}${rate}"]:::${STATE_CLASS[w.state]}`;
  };
  const gate = (w: WaveView) => `M${w.index}(["merges land"]):::${w.state === 'landed' ? 'landed' : 'pending'}`;
  const indent = wrap ? '    ' : '  ';
  for (let start = 0; start < waves.length; start += wrap ? WAVES_PER_ROW : waves.length) {
    const row = waves.slice(start, wrap ? start + WAVES_PER_ROW : waves.length);
    const first = row[0].index;
    const last = row[row.length - 1].index;
    if (wrap)
      lines.push(`  subgraph ROW${first}["${first === last ? `Wave ${first}` : `Waves ${first}-${last}`}"]`, '    direction LR');
    row.forEach((w, i) => {
      lines.push(`${indent}${node(w)}`);
      const next = row[i + 1];
      if (next) lines.push(`${indent}${gate(w)}`, `${indent}W${w.index} --> M${w.index} --> W${next.index}`);
    });
    if (wrap) {
      lines.push('  end', `  style ROW${first} fill:transparent,stroke:#64748b,color:#64748b`);
      // The gate between a row's last wave and the next row's first is this edge.
      if (start > 0) lines.push(`  ROW${waves[start - WAVES_PER_ROW].index} -->|"merges land"| ROW${first}`);
    }
  }
  lines.push(
    '  classDef landed fill:#065f46,stroke:#34d399,color:#ecfdf5',
    '  classDef active fill:#0c4a6e,stroke:#38bdf8,color:#f0f9ff',
    '  classDef ready fill:#3f3f46,stroke:#a1a1aa,color:#fafafa',
    '  classDef held fill:#1e293b,stroke:#475569,color:#94a3b8,stroke-dasharray:4 3',
    '  classDef pending fill:#1e293b,stroke:#475569,color:#94a3b8',
  );
  return lines.join('\n');
}

/** The scope of a rig that is not a partition (describeScope). */
const WHOLE_REPOSITORY = 'whole repository';

/** One rig as the partition diagram draws it. */
export interface PartitionNode {
  name: string;
  /** Path scope in words (`core/**`, `all but core/**`, `whole repository`). */
  scope: string;
  polecats: number;
  workers: number;
  queueDepth: number;
  /** `new`: a partition a split would create; `integration`: kept for spanning work. */
  state: 'active' | 'parked' | 'new' | 'integration';
  /** Where it lands: repository name and target branch. */
  target: string;
}

const PARTITION_CLASS: Record<PartitionNode['state'], string> = {
  active: 'active',
  parked: 'held',
  new: 'ready',
  integration: 'pending',
};

/** Rigs drawn in full (town -> rig -> Refinery -> target); more are drawn one line each. */
const COMPACT_AFTER_RIGS = 8;

/**
 * Past COMPACT_AFTER_RIGS the rigs stand closer together (Mermaid's default is 50 px) and a
 * rig's line wraps only past 600 px (the page sets 400): one line each, a 20-rig town is
 * 1,250 px tall rather than 2,400.
 */
const COMPACT_CONFIG = ['---', 'config:', '  flowchart:', '    nodeSpacing: 14', '    wrappingWidth: 600', '---'];

const nodeId = (prefix: string, name: string) => `${prefix}_${name.replace(/[^a-zA-Z0-9]/g, '_')}`;

/** `hot` for a rig whose Refinery has 5 or more queued (the seed's sign to act), else null. */
const hotClass = (r: PartitionNode) => (r.queueDepth >= 5 ? 'hot' : null);

/** A cluster node as the partition diagram groups rigs (one subgraph each; docs/cluster.md). */
export interface NodeGroup {
  name: string;
  alive: boolean;
  leader: boolean;
  /** The rigs it holds a live lease on. */
  rigs: string[];
}

/**
 * The town's rig partitions: town -> rig (scope, polecats) -> its Refinery (workers,
 * queue) -> the target branch, shared by the partitions of one repository. Used for the
 * overview and for a split's before/after preview.
 *
 * Past a handful of rigs it is drawn compact: one line per rig, its Refinery and (when no
 * other rig lands there) its target written inline, and no town node fanning out to every
 * rig. Targets shared by partitions of one repository stay nodes with their edges: that
 * sharing is what the diagram shows. Mermaid's drawing time goes with nodes and edges (an
 * edge costs about as much as a node), so a 20-rig town of 20 repositories is 20 nodes and
 * no edges: 41 nodes and 40 edges drawn in full, 21 and 20 with the town's fan
 * (docs/benchmarks.md, page timing).
 *
 * In a cluster (`nodes` given) each node is a subgraph holding its rigs: the ones this
 * server runs drawn as above, another node's by name only (its details are on that node).
 */
export function partitionDiagram(rigs: PartitionNode[], nodes?: readonly NodeGroup[]): string {
  const compact = rigs.length > COMPACT_AFTER_RIGS;
  const lines = compact ? [...COMPACT_CONFIG, 'flowchart LR'] : ['flowchart LR', '  town(["Town"]):::town'];
  if (rigs.length === 0 && !nodes?.some((n) => n.rigs.length > 0)) lines.push('  none["no rigs"]:::held', '  town --> none');
  const landers = new Map<string, number>();
  for (const r of rigs) landers.set(r.target, (landers.get(r.target) ?? 0) + 1);
  const targets = [...landers.keys()].filter((t) => !compact || landers.get(t)! > 1);
  targets.forEach((t, i) => lines.push(`  T${i}[("${label(t)}")]:::target`));
  /** Each rig's own node, declared where it belongs (a node's subgraph, or the flowchart). */
  const declared = new Map<string, string>();
  const edges: string[] = [];
  for (const r of rigs) {
    const rig = nodeId('R', r.name);
    const t = targets.indexOf(r.target);
    if (compact) {
      const scope = r.scope === WHOLE_REPOSITORY ? '' : ` · ${label(r.scope)}`;
      const own = t === -1 ? ` → ${label(r.target)}` : '';
      const queue = r.queueDepth > 0 ? ` · queue ${r.queueDepth}` : '';
      declared.set(
        r.name,
        `  ${rig}["${label(r.name)}${scope}${own} · ${r.polecats} polecats · Refinery ×${r.workers}${queue}"]:::${hotClass(r) ?? PARTITION_CLASS[r.state]}`,
      );
      if (t !== -1) edges.push(`  ${rig} --> T${t}`);
      continue;
    }
    const refinery = nodeId('Q', r.name);
    const queue = r.queueDepth > 0 ? `<br/>queue ${r.queueDepth}` : '';
    declared.set(
      r.name,
      `  ${rig}["${label(r.name)}<br/>${label(r.scope)}<br/>${r.polecats} polecat${r.polecats === 1 ? '' : 's'}"]:::${PARTITION_CLASS[r.state]}`,
    );
    edges.push(
      `  ${refinery}[["Refinery ×${r.workers}${queue}"]]:::${hotClass(r) ?? 'refinery'}`,
      `  town --> ${rig} --> ${refinery} --> T${t}`,
    );
  }
  if (nodes) {
    for (const n of nodes) {
      const state = n.alive ? (n.leader ? ' · leader' : '') : ' · down';
      lines.push(`  subgraph ${nodeId('N', n.name)}["${label(n.name)}${state}"]`);
      for (const name of n.rigs) {
        const own = declared.get(name);
        if (own) {
          lines.push(`  ${own}`);
          declared.delete(name);
        } else {
          lines.push(`    ${nodeId('R', name)}["${label(name)}"]:::remote`);
          if (!compact) edges.push(`  town --> ${nodeId('R', name)}`);
        }
      }
      if (n.rigs.length === 0) lines.push(`    ${nodeId('E', n.name)}["no rigs"]:::held`);
      lines.push('  end');
      // Mermaid's default box is an opaque grey in both themes: an outline reads on either.
      const stroke = n.alive ? (n.leader ? '#f59e0b' : '#64748b') : '#ef4444,stroke-dasharray:4 3';
      lines.push(`  style ${nodeId('N', n.name)} fill:transparent,stroke:${stroke},color:#64748b`);
    }
  }
  lines.push(...declared.values(), ...edges);
  lines.push(
    '  classDef town fill:#1e293b,stroke:#f59e0b,color:#fef3c7',
    '  classDef active fill:#0c4a6e,stroke:#38bdf8,color:#f0f9ff',
    '  classDef ready fill:#065f46,stroke:#34d399,color:#ecfdf5',
    '  classDef held fill:#1e293b,stroke:#475569,color:#94a3b8,stroke-dasharray:4 3',
    '  classDef pending fill:#3f3f46,stroke:#a1a1aa,color:#fafafa',
    '  classDef refinery fill:#27272a,stroke:#71717a,color:#e4e4e7',
    '  classDef hot fill:#7c2d12,stroke:#fb923c,color:#fff7ed',
    '  classDef target fill:#18181b,stroke:#a1a1aa,color:#e4e4e7',
    '  classDef remote fill:#1e293b,stroke:#64748b,color:#cbd5e1',
  );
  return lines.join('\n');
}

/** A scope in words for the diagram. */
export function describeScope(scope: readonly string[], exclude: readonly string[]): string {
  const inc = scope.length === 0 ? WHOLE_REPOSITORY : scope.join(', ');
  return exclude.length === 0 ? inc : `${scope.length === 0 ? 'all' : inc} but ${exclude.join(', ')}`;
}

/** A Deacon loop as the patrol diagram draws it. */
export interface PatrolLoop {
  name: 'hot' | 'warm' | 'cold' | 'all';
  intervalMs: number | null;
  lastCycleMs: number | null;
  rigs: string[];
}

const seconds = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 6_000) / 10} min` : `${Math.round(ms / 100) / 10} s`);

/** Rig names drawn in a patrol loop's box, two a line; the rest are counted. */
const PATROL_RIGS_SHOWN = 6;

/**
 * The Deacon's patrols as the seed draws its tiered strategy: Deacon -> each loop (its
 * cadence and last cycle) -> the rigs it covers. A sequential Deacon is one loop over all.
 * The diagram shares a row with the partition diagram, a third of the page: the cadence is
 * written in the loop's box rather than on its edge (an edge label as wide as the box made
 * the drawing ~650 px, scaled to ~9 px text), and rig names go two a line.
 */
export function patrolDiagram(mode: 'tiered' | 'sequential', loops: PatrolLoop[]): string {
  const lines = ['flowchart LR', `  D["Deacon<br/>${mode}"]:::town`];
  const LABEL = { hot: 'Hot', warm: 'Warm', cold: 'Cold', all: 'All rigs' } as const;
  const CLASS = { hot: 'hot', warm: 'active', cold: 'held', all: 'pending' } as const;
  for (const loop of loops) {
    const cadence = loop.intervalMs === null ? 'continuous' : `every ${seconds(loop.intervalMs)}`;
    const last = loop.lastCycleMs === null ? '' : ` · last ${seconds(loop.lastCycleMs)}`;
    const shown = loop.rigs.slice(0, PATROL_RIGS_SHOWN).map(label);
    const rows = [];
    for (let i = 0; i < shown.length; i += 2) rows.push(shown.slice(i, i + 2).join(', '));
    if (loop.rigs.length > PATROL_RIGS_SHOWN) rows.push(`+${loop.rigs.length - PATROL_RIGS_SHOWN} more`);
    const rigs = loop.rigs.length === 0 ? 'no rigs' : rows.join('<br/>');
    lines.push(
      `  L_${loop.name}["${LABEL[loop.name]}: ${loop.rigs.length} rig${loop.rigs.length === 1 ? '' : 's'}<br/>${cadence}${last}<br/>${rigs}"]:::${CLASS[loop.name]}`,
      `  D --> L_${loop.name}`,
    );
  }
  lines.push(
    '  classDef town fill:#1e293b,stroke:#f59e0b,color:#fef3c7',
    '  classDef hot fill:#7c2d12,stroke:#fb923c,color:#fff7ed',
    '  classDef active fill:#0c4a6e,stroke:#38bdf8,color:#f0f9ff',
    '  classDef held fill:#1e293b,stroke:#475569,color:#94a3b8,stroke-dasharray:4 3',
    '  classDef pending fill:#3f3f46,stroke:#a1a1aa,color:#fafafa',
  );
  return lines.join('\n');
}
