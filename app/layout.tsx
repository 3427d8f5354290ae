import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { AlertBanner } from '@/components/AlertBanner';
import { NavBar } from '@/components/NavBar';
import { THEME_SCRIPT } from '@/components/ThemeToggle';
import { TownStoppedBanner } from '@/components/TownStoppedBanner';
import { Toaster } from '@/components/Toaster';
import './globals.css';

export const metadata: Metadata = {
  title: 'Gas Town Fleet',
  description: 'Control room for a fleet of AI coding agents',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    // The theme script may change the class before hydration: that difference is expected.
    <html lang="en" className="dark" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <NavBar />
        <TownStoppedBanner />
        <AlertBanner />
        {children}
        <Toaster />
      </body>
    </html>
  );
}
