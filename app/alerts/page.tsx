import type { Metadata } from 'next';
import { AlertsPage } from '@/components/AlertsPage';

export const metadata: Metadata = { title: 'Alerts · Gas Town Fleet' };

/** Firing, pending and past alerts, silences, the rules editor, metric charts and the webhook. */
export default function Page() {
  return <AlertsPage />;
}
