'use client';
/**
 * Mermaid text rendered to SVG in the browser, updated in place: the previous drawing
 * stays until the new one is ready (no flicker on every push), and unchanged text is not
 * drawn again. Mermaid is loaded on first use only (it is large and needs the DOM).
 * `securityLevel: 'strict'` sanitises labels; the server's text sanitises them too.
 * Every drawing is timed as a User Timing measure `gt:mermaid:<label>` (see MERMAID_MEASURE).
 */
import { useEffect, useId, useRef, useState } from 'react';
import { MERMAID_MEASURE, measureAsync } from '@/lib/user-timing';

type Mermaid = (typeof import('mermaid'))['default'];

let loading: Promise<Mermaid> | null = null;

/** Mermaid, loaded and set up once; a failed load (the server went away) is tried again next time. */
function loadMermaid(): Promise<Mermaid> {
  loading ??= import('mermaid').then(({ default: mermaid }) => {
    mermaid.initialize({
      startOnLoad: false,
      theme: 'dark',
      securityLevel: 'strict',
      // A bad diagram is reported beside the last good one, not drawn into the page.
      suppressErrorRendering: true,
      flowchart: { curve: 'basis', padding: 12 },
    });
    return mermaid;
  });
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

/** How long to wait before drawing again after a failure (Mermaid could not be loaded). */
const RETRY_MS = 3_000;

export function MermaidDiagram({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [svg, setSvg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [renders, setRenders] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const drawn = useRef<string | null>(null);
  const seq = useRef(0);
  const baseId = `mmd-${useId().replace(/[^a-zA-Z0-9]/g, '')}`;

  useEffect(() => {
    if (drawn.current === text) return;
    let current = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const n = ++seq.current;
    (async () => {
      let mermaid: Mermaid;
      try {
        mermaid = await loadMermaid();
      } catch {
        if (!current) return;
        setError('the diagram renderer could not be loaded; retrying');
        retry = setTimeout(() => setAttempt((a) => a + 1), RETRY_MS);
        return;
      }
      try {
        // A fresh id per drawing: Mermaid scopes the SVG's styles by it.
        const { svg: next } = await measureAsync(`${MERMAID_MEASURE}${label}`, () => mermaid.render(`${baseId}-${n}`, text), {
          chars: text.length,
        });
        if (!current) return;
        drawn.current = text;
        setSvg(next);
        setError(null);
        setRenders((r) => r + 1);
      } catch (err) {
        if (current) setError(err instanceof Error ? err.message.split('\n')[0] : 'the diagram could not be drawn');
      }
    })();
    return () => {
      current = false;
      clearTimeout(retry);
    };
  }, [text, label, baseId, attempt]);

  return (
    <figure aria-label={label} className="min-h-24" data-testid={testId} data-renders={renders}>
      {svg === null ? (
        <p className="text-sm text-slate-500">{error ? `Diagram unavailable: ${error}` : 'Drawing the diagram…'}</p>
      ) : (
        <div className="overflow-x-auto [&_svg]:mx-auto [&_svg]:h-auto" dangerouslySetInnerHTML={{ __html: svg }} />
      )}
      {svg !== null && error && <p className="mt-1 text-xs text-amber-400">Showing the last good diagram: {error}</p>}
    </figure>
  );
}
