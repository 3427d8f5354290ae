/**
 * What bench/page-timing.ts runs inside the page. Plain strings, not functions: tsx compiles
 * functions with esbuild's name helpers (`__name`), which do not exist in the browser.
 */
import { MERMAID_MEASURE } from '../lib/user-timing';
import { percentile as nearestRank } from '../server/engine/stats';

/** What the page says about one load; all times are ms from navigation start (performance.now()). */
export interface PageSample {
  /** First byte of the HTML. */
  ttfb: number;
  /** Last byte of the HTML (the server streams it: a late one is the server's render). */
  htmlDone: number;
  domContentLoaded: number;
  /** The page's websocket (socket.io) opened, and its first message over 2 KB (the town's snapshot) arrived, with its size. */
  socketOpen: number | null;
  snapshotAt: number | null;
  snapshotBytes: number | null;
  /** The DOM first held the overview's data (see readyProbe). */
  dataInDom: number;
  /** The first frame after that: the overview is on screen. */
  ready: number;
  /** Every `gt:mermaid:<label>` measure so far, in order. */
  renders: Array<{ label: string; start: number; ms: number; chars: number | null }>;
  /** Diagrams on the page (`figure[data-renders]`) and how many have drawn at least once. */
  diagrams: { total: number; drawn: number };
}

/**
 * Installed before any of the page's scripts (page.addInitScript): watches the DOM and
 * notes the moment the overview first shows data, i.e. the total queue tile
 * (`data-testid=total-queue`) holds a number and `rigs` rig cards (one `rig-link-<name>` each)
 * are present. It notes performance.now() in the mutation callback (data in the DOM), then
 * after the next animation frame and one task (the frame that paints it has been produced).
 * It also notes when the page's websocket opened and its first message over 2 KB (the
 * snapshot) arrived, to tell the server's part (snapshot late) from the page's (render late).
 */
export function readyProbe(rigs: number): string {
  return `(() => {
    const state = { dataInDom: null, ready: null, socketOpen: null, snapshotAt: null, snapshotBytes: null };
    window.__gtPageTiming = state;
    const NativeWebSocket = window.WebSocket;
    window.WebSocket = class extends NativeWebSocket {
      constructor(...args) {
        super(...args);
        this.addEventListener('open', () => { if (state.socketOpen === null) state.socketOpen = performance.now(); });
        this.addEventListener('message', (e) => {
          const size = typeof e.data === 'string' ? e.data.length : (e.data.byteLength || e.data.size || 0);
          if (state.snapshotAt === null && size > 2048) { state.snapshotAt = performance.now(); state.snapshotBytes = size; }
        });
      }
    };
    const isReady = () => {
      const tile = document.querySelector('[data-testid="total-queue"]');
      return !!tile && /^\\d+$/.test((tile.textContent || '').trim()) &&
        document.querySelectorAll('[data-testid^="rig-link-"]').length >= ${rigs};
    };
    const observer = new MutationObserver(() => {
      if (state.dataInDom !== null || !isReady()) return;
      state.dataInDom = performance.now();
      observer.disconnect();
      requestAnimationFrame(() => setTimeout(() => { state.ready = performance.now(); }, 0));
    });
    observer.observe(document, { childList: true, subtree: true, characterData: true });
  })()`;
}

/** True once the overview is on screen (READY_PROBE's second note). */
export const IS_READY = `window.__gtPageTiming && window.__gtPageTiming.ready !== null`;

/**
 * True once the partition diagram and every other diagram on the page have drawn at least
 * once (diagrams being added to the overview are waited for too, whatever their test ids).
 */
export const DIAGRAMS_DRAWN = `(() => {
  const figures = [...document.querySelectorAll('figure[data-renders]')];
  return !!document.querySelector('[data-testid="partition-diagram"]') &&
    figures.every((f) => Number(f.getAttribute('data-renders')) >= 1);
})()`;

/** Collects a PageSample. */
export const COLLECT = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const prefix = ${JSON.stringify(MERMAID_MEASURE)};
  const figures = [...document.querySelectorAll('figure[data-renders]')];
  return {
    ttfb: nav ? nav.responseStart : NaN,
    htmlDone: nav ? nav.responseEnd : NaN,
    domContentLoaded: nav ? nav.domContentLoadedEventEnd : NaN,
    socketOpen: window.__gtPageTiming.socketOpen,
    snapshotAt: window.__gtPageTiming.snapshotAt,
    snapshotBytes: window.__gtPageTiming.snapshotBytes,
    dataInDom: window.__gtPageTiming.dataInDom,
    ready: window.__gtPageTiming.ready,
    renders: performance.getEntriesByType('measure')
      .filter((m) => m.name.startsWith(prefix))
      .map((m) => ({
        label: m.name.slice(prefix.length),
        start: m.startTime,
        ms: m.duration,
        chars: m.detail && typeof m.detail.chars === 'number' ? m.detail.chars : null,
      })),
    diagrams: { total: figures.length, drawn: figures.filter((f) => Number(f.getAttribute('data-renders')) >= 1).length },
  };
})()`;

/** The p-th percentile by nearest rank (the engine's), NaN for no samples (prints as such). */
export function percentile(values: number[], p: number): number {
  return nearestRank(values, p) ?? NaN;
}
