import type { Metadata } from 'next';
import { BeadsPage } from '@/components/BeadsPage';

export const metadata: Metadata = { title: 'Beads · Gas Town Fleet' };

export default function Page() {
  return <BeadsPage />;
}
