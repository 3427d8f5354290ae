'use client';
/**
 * The banner for a town that stopped because the store refused a write (fail-stop,
 * server/engine/persistence.ts): on every page (mounted by the root layout), in the
 * critical alert's colours, with the reason and the remedy. It asks /api/health every
 * HEALTH_POLL_MS; a healthy town shows nothing.
 */
import { useEffect, useState } from 'react';
import { usePathname } from 'next/navigation';
import { SEVERITY_STYLE } from './AlertBannerItem';

/** Often enough that a stopped town is not mistaken for a quiet one for long. */
const HEALTH_POLL_MS = 10_000;

interface Health {
  stopped: { at: number; reason: string } | null;
}

export function TownStoppedBanner() {
  const pathname = usePathname();
  const [stopped, setStopped] = useState<Health['stopped']>(null);
  useEffect(() => {
    if (pathname === '/login') return;
    let live = true;
    const check = () =>
      fetch('/api/health', { cache: 'no-store', headers: { accept: 'application/json' } })
        .then((res) => res.json() as Promise<Health>)
        .then((h) => live && setStopped(h.stopped ?? null))
        .catch(() => {}); // unreachable: the pages say "reconnecting" through their streams
    void check();
    const timer = setInterval(check, HEALTH_POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [pathname]);
  if (!stopped) return null;
  const style = SEVERITY_STYLE.critical;
  return (
    <section aria-label="Town stopped" className="mx-auto max-w-7xl px-6 pt-4">
      <article role="alert" className={`rounded-md border-l-4 px-3 py-2 text-sm shadow ${style.box}`} data-testid="town-stopped">
        <p className="flex flex-wrap items-center gap-2">
          <span className={`rounded px-1.5 py-0.5 text-xs font-semibold uppercase ${style.chip}`}>stopped</span>
          <strong>The town stopped taking commands.</strong>
        </p>
        {/* The heading says it stopped; the reason reads on from there. */}
        <p className="mt-1 first-letter:uppercase">{stopped.reason.replace(/^the town stopped: /, '')}.</p>
      </article>
    </section>
  );
}
