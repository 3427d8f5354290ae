'use client';
/**
 * The tab's title names the town and how many alerts fire in it ("(2) prod-east · Gas Town
 * Fleet"), so an operator with many tabs sees a town in trouble without opening it. Fed by
 * the alert stream of whoever holds one (the banners, or the alerts page); re-applied on
 * navigation, which puts the layout's static title back.
 */
import { useEffect } from 'react';
import { usePathname } from 'next/navigation';
import type { AlertsView } from '@/contracts/alerts';

export const APP_NAME = 'Gas Town Fleet';

export function titleFor(view: Pick<AlertsView, 'active' | 'town'>): string {
  const firing = view.active.filter((a) => a.state === 'firing').length;
  return `${firing > 0 ? `(${firing}) ` : ''}${view.town ? `${view.town} · ` : ''}${APP_NAME}`;
}

export function useDocumentTitle(view: AlertsView | null): void {
  const pathname = usePathname();
  const title = view ? titleFor(view) : null;
  useEffect(() => {
    if (title) document.title = title;
  }, [title, pathname]);
}
