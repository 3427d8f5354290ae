import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { AlertBanner } from '@/components/AlertBanner';
import './globals.css';

export const metadata: Metadata = {
  title: 'Gas Town Fleet',
  description: 'Control room for a fleet of AI coding agents',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" className="dark">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <AlertBanner />
        {children}
      </body>
    </html>
  );
}
