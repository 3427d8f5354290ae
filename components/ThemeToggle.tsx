'use client';
/**
 * Dark or light, the operator's choice, kept in localStorage. The class on <html> is the
 * truth: the layout's inline script (THEME_SCRIPT) sets it before the first paint, so a
 * reload never flashes the other theme; this button only flips it and remembers.
 */
import { useSyncExternalStore } from 'react';

export const THEME_KEY = 'gt-theme';

/** Runs in <head> before paint: the stored theme, dark when none (the control room's default). */
export const THEME_SCRIPT = `(function(){try{var t=localStorage.getItem('${THEME_KEY}');document.documentElement.classList.toggle('dark',t!=='light');}catch(e){}})();`;

type Theme = 'dark' | 'light';

function subscribe(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}

const current = (): Theme => (document.documentElement.classList.contains('dark') ? 'dark' : 'light');

export function ThemeToggle() {
  const theme = useSyncExternalStore<Theme | null>(subscribe, current, () => null);
  const next: Theme = theme === 'light' ? 'dark' : 'light';
  return (
    <button
      type="button"
      onClick={() => {
        document.documentElement.classList.toggle('dark', next === 'dark');
        try {
          localStorage.setItem(THEME_KEY, next);
        } catch {
          // Private mode or storage full: the theme still changes for this page.
        }
      }}
      className="rounded border border-slate-300 px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800"
      aria-label={theme ? `Switch to ${next} theme` : 'Switch theme'}
      data-testid="theme-toggle"
      data-theme={theme ?? ''}
    >
      {theme === 'light' ? '☾ Dark' : theme === 'dark' ? '☀ Light' : 'Theme'}
    </button>
  );
}
