/**
 * Browser User Timing around work worth timing in the field: a `performance.measure` per
 * call, readable in devtools (Performance panel, or `performance.getEntriesByType('measure')`)
 * and by the page-timing benchmark (bench/page-timing.ts), which reads them from a real page.
 */

/**
 * The prefix of the diagram render-time measures: `gt:mermaid:<label>`, one per
 * `mermaid.render` (the first drawing and every in-place update; loading Mermaid is not in
 * it), taken in components/MermaidDiagram.tsx and read by bench/page-timing.ts.
 */
export const MERMAID_MEASURE = 'gt:mermaid:';

/**
 * How many measures of one name are kept. A page stays open all day and its diagrams redraw
 * on pushes, so the buffer (which the browser never trims for user timing) is bounded: past
 * this many, the oldest are dropped with the rest and counting starts again.
 */
const MAX_MEASURES_PER_NAME = 200;

const counts = new Map<string, number>();

/** Runs `work` and records its wall time as a measure `name` (start and end marks are cleared). */
export async function measureAsync<T>(name: string, work: () => Promise<T>, detail?: Record<string, unknown>): Promise<T> {
  // No User Timing (very old browsers, or a server render): just do the work.
  if (typeof performance === 'undefined' || typeof performance.mark !== 'function') return work();
  const start = performance.mark(`${name}:start`);
  try {
    return await work();
  } finally {
    const seen = counts.get(name) ?? 0;
    if (seen >= MAX_MEASURES_PER_NAME) performance.clearMeasures(name);
    counts.set(name, seen >= MAX_MEASURES_PER_NAME ? 1 : seen + 1);
    // From the start mark's time, not its name: a concurrent call of the same name has its own.
    performance.measure(name, { start: start.startTime, end: performance.now(), detail });
    performance.clearMarks(start.name);
  }
}
