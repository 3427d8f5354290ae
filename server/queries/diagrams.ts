/**
 * Mermaid text for the pages to render live: a convoy's waves ("Wave 1: 5 beads -> merges
 * land -> Wave 2 ...") coloured by state. Labels are sanitised: bead and convoy titles are
 * user input and must not break (or inject into) the diagram.
 */
import type { WaveView } from './convoy-view';

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

export function waveDiagram(waves: WaveView[]): string {
  const lines = ['flowchart LR'];
  if (waves.length === 0) {
    lines.push('  none["not dispatched yet"]:::held');
  }
  waves.forEach((w, i) => {
    const id = `W${w.index}`;
    const rate = w.conflictRate === null ? '' : ` · ${label(`${Math.round(w.conflictRate * 100)}% conflicts`)}`;
    lines.push(
      `  ${id}["Wave ${w.index}: ${w.beads} beads<br/>${w.state} ${w.done}/${w.beads}${rate}"]:::${STATE_CLASS[w.state]}`,
    );
    if (i < waves.length - 1) {
      const merged = `M${w.index}`;
      lines.push(`  ${merged}(["merges land"]):::${w.state === 'landed' ? 'landed' : 'pending'}`);
      lines.push(`  ${id} --> ${merged} --> W${waves[i + 1].index}`);
    }
  });
  lines.push(
    '  classDef landed fill:#065f46,stroke:#34d399,color:#ecfdf5',
    '  classDef active fill:#0c4a6e,stroke:#38bdf8,color:#f0f9ff',
    '  classDef ready fill:#3f3f46,stroke:#a1a1aa,color:#fafafa',
    '  classDef held fill:#1e293b,stroke:#475569,color:#94a3b8,stroke-dasharray:4 3',
    '  classDef pending fill:#1e293b,stroke:#475569,color:#94a3b8',
  );
  return lines.join('\n');
}
