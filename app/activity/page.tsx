import type { Metadata } from 'next';
import { ActivityPage } from '@/components/ActivityPage';

export const metadata: Metadata = { title: 'Activity · Gas Town Fleet' };

export default function Page() {
  return <ActivityPage />;
}
