'use client';
/**
 * Mermaid text rendered to SVG in the browser, updated in place: the previous drawing
 * stays until the new one is ready (no flicker on every push), unchanged text is not
 * drawn again, and text that changes faster than it can be drawn is drawn at its latest.
 * Mermaid is loaded on first use only (it is large and needs the DOM).
 * `securityLevel: 'strict'` sanitises labels; the server's text sanitises them too.
 * Every drawing is timed as a User Timing measure `gt:mermaid:<label>` (see MERMAID_MEASURE).
 */
import { useEffect, useId, useRef, useState } from 'react';
import { MERMAID_MEASURE, measureAsync } from '@/lib/user-timing';

type Mermaid = (typeof import('mermaid'))['default'];

/** The smallest text a diagram is shown with, in CSS px: below it the box scrolls sideways. */
export const MIN_TEXT_PX = 11;
/** The size Mermaid draws text at (its default, set in `initialize` so the two agree). */
const MERMAID_TEXT_PX = 16;

/**
 * The SVG with a minimum width. Mermaid sizes it to its box (width 100%, at most its own
 * width), so a wide diagram in a narrow box was scaled down until its text was unreadable
 * (12 waves at ~3 px, the patrol diagram at ~8 px); at its minimum width its text is
 * MIN_TEXT_PX and the box scrolls instead.
 */
export function withReadableWidth(svg: string): string {
  return svg.replace(/(<svg[^>]*?style="[^"]*?max-width:\s*)([\d.]+)px;?/, (_m, head: string, width: string) => {
    const min = Math.ceil((Number(width) * MIN_TEXT_PX) / MERMAID_TEXT_PX);
    return `${head}${width}px; min-width: ${min}px;`;
  });
}

let loading: Promise<Mermaid> | null = null;

/** Mermaid, loaded and set up once; a failed load (the server went away) is tried again next time. */
function loadMermaid(): Promise<Mermaid> {
  loading ??= import('mermaid')
    .then(({ default: mermaid }) => {
      mermaid.initialize({
        startOnLoad: false,
        theme: 'dark',
        // Edge labels on slate-800, not the dark theme's #585858 (its #ccc text read at 4.4:1).
        themeVariables: { fontSize: `${MERMAID_TEXT_PX}px`, edgeLabelBackground: '#1e293b' },
        securityLevel: 'strict',
        // A bad diagram is reported beside the last good one, not drawn into the page.
        suppressErrorRendering: true,
        // Dagre, not Mermaid 12's default ELK: ELK hands its layout to a fake worker that
        // answers through timers, so a drawing yielded ~4 times and the page's React renders
        // ran inside it (a 20-rig diagram measured 400-950 ms in the page against ~200 ms
        // alone). Dagre lays out in the same task, as fast, and these diagrams are trees.
        layout: 'dagre',
        // Labels wrap at 400 px, not Mermaid's 200: a rig's two label lines stay two lines
        // (at 200 they wrapped to five). A diagram's own front matter can set more.
        flowchart: { curve: 'basis', padding: 12, wrappingWidth: 400 },
      });
      return mermaid;
    })
    .then(async (mermaid) => {
      // The first drawing loads Mermaid's flowchart code and measures fonts; doing that once
      // here, on a trivial diagram, keeps it out of every real diagram's drawing.
      const scratch = document.createElement('div');
      scratch.style.cssText = 'position:fixed;left:-10000px;top:0;opacity:0;pointer-events:none';
      document.body.appendChild(scratch);
      await mermaid.render('mmd-warm-up', 'flowchart LR\n  a --> b', scratch).catch(() => {});
      scratch.remove();
      return mermaid;
    });
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

let turn: Promise<unknown> = Promise.resolve();

/**
 * Runs drawings one after another, page-wide. Mermaid queues concurrent `render` calls
 * itself, so a diagram's drawing measured around the call would include every drawing
 * queued ahead of it; taking turns here makes each measure that diagram's own drawing.
 */
function inTurn<T>(draw: () => Promise<T>): Promise<T> {
  const mine = turn.then(draw, draw);
  turn = mine.catch(() => undefined);
  return mine;
}

/** How long to wait before drawing again after a failure (Mermaid could not be loaded). */
const RETRY_MS = 3_000;
/** The least time between two drawings of one diagram. */
const REDRAW_MS = 1_000;

export function MermaidDiagram({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [svg, setSvg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [renders, setRenders] = useState(0);
  const [attempt, setAttempt] = useState(0);
  // Bumped when a drawing is done, so a text that changed meanwhile is drawn next.
  const [finished, setFinished] = useState(0);
  const tried = useRef<string | null>(null);
  const busy = useRef(false);
  const mounted = useRef(true);
  const seq = useRef(0);
  // Mermaid measures its drawing in a scratch element; ours is off screen, so the half-drawn
  // diagram never shows at the bottom of the page.
  const scratch = useRef<HTMLDivElement>(null);
  const baseId = `mmd-${useId().replace(/[^a-zA-Z0-9]/g, '')}`;

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // One drawing at a time, always of the latest text, and each one shown when done. A busy
  // town changes the text on every push; drawing each change as it came queued them inside
  // Mermaid (one after another) and threw every result away as stale, so a 20-rig diagram
  // was never shown (docs/benchmarks.md, page timing).
  useEffect(() => {
    if (busy.current || tried.current === text) return;
    busy.current = true;
    tried.current = text;
    const n = ++seq.current;
    (async () => {
      let mermaid: Mermaid;
      try {
        mermaid = await loadMermaid();
      } catch {
        busy.current = false;
        tried.current = null;
        if (!mounted.current) return;
        setError('the diagram renderer could not be loaded; retrying');
        setTimeout(() => mounted.current && setAttempt((a) => a + 1), RETRY_MS);
        return;
      }
      let took = 0;
      try {
        // A fresh id per drawing: Mermaid scopes the SVG's styles by it.
        const { svg: next } = await inTurn(async () => {
          const started = performance.now();
          try {
            return await measureAsync(
              `${MERMAID_MEASURE}${label}`,
              () => mermaid.render(`${baseId}-${n}`, text, scratch.current ?? undefined),
              { chars: text.length },
            );
          } finally {
            took = performance.now() - started;
          }
        });
        if (mounted.current) {
          setSvg(withReadableWidth(next));
          setError(null);
          setRenders((r) => r + 1);
        }
      } catch (err) {
        if (mounted.current) setError(err instanceof Error ? err.message.split('\n')[0] : 'the diagram could not be drawn');
      }
      // A busy town changes a diagram's text on nearly every push, and a big diagram takes
      // 100-300 ms to draw: redrawing as soon as one drawing ends kept the page's main thread
      // half busy with Mermaid. Between drawings, wait four times as long as the last one took
      // (at least REDRAW_MS): the diagram is at most a couple of seconds behind.
      setTimeout(
        () => {
          busy.current = false;
          if (mounted.current) setFinished((f) => f + 1);
        },
        Math.max(REDRAW_MS, 4 * took),
      );
    })();
  }, [text, label, baseId, attempt, finished]);

  return (
    <>
      {/* Outside the figure: while Mermaid draws, its half-made SVG is not the diagram's. */}
      <div ref={scratch} aria-hidden className="pointer-events-none fixed -left-[10000px] top-0 w-[2000px] opacity-0" />
      <figure aria-label={label} className="min-h-24" data-testid={testId} data-renders={renders}>
        {svg === null ? (
          <p className="text-sm text-slate-500">{error ? `Diagram unavailable: ${error}` : 'Drawing the diagram…'}</p>
        ) : (
          <div className="overflow-x-auto [&_svg]:mx-auto [&_svg]:h-auto" dangerouslySetInnerHTML={{ __html: svg }} />
        )}
        {svg !== null && error && (
          <p className="mt-1 text-xs text-amber-700 dark:text-amber-400">Showing the last good diagram: {error}</p>
        )}
      </figure>
    </>
  );
}
