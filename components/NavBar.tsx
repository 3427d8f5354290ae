'use client';
/** The pages, on every page (mounted by the root layout), the current one highlighted; and the theme. */
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { ThemeToggle } from './ThemeToggle';

const PAGES = [
  { href: '/', label: 'Overview', id: 'overview' },
  { href: '/convoys', label: 'Convoys', id: 'convoys' },
  { href: '/beads', label: 'Beads', id: 'beads' },
  { href: '/costs', label: 'Costs', id: 'costs' },
  { href: '/alerts', label: 'Alerts', id: 'alerts' },
  { href: '/activity', label: 'Activity', id: 'activity' },
  { href: '/lab', label: 'Lab', id: 'lab' },
] as const;

/** A rig belongs to the overview; every other page owns its sub-paths. */
function isActive(href: string, pathname: string): boolean {
  if (href === '/') return pathname === '/' || pathname.startsWith('/rigs/');
  return pathname === href || pathname.startsWith(`${href}/`);
}

export function NavBar() {
  const pathname = usePathname() ?? '/';
  if (pathname === '/login') return null;
  return (
    <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-3 px-6 py-2">
        <nav className="flex flex-wrap items-center gap-1" aria-label="Pages">
          <span className="mr-3 text-sm font-bold tracking-tight">Gas Town Fleet</span>
          {PAGES.map((p) => {
            const active = isActive(p.href, pathname);
            return (
              <Link
                key={p.href}
                href={p.href}
                aria-current={active ? 'page' : undefined}
                data-testid={`nav-${p.id}`}
                className={`rounded px-2.5 py-1 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 ${
                  active
                    ? 'bg-sky-700 text-white'
                    : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white'
                }`}
              >
                {p.label}
              </Link>
            );
          })}
        </nav>
        <ThemeToggle />
      </div>
    </header>
  );
}
