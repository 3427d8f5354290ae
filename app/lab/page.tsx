import type { Metadata } from 'next';
import { LabPage } from '@/components/LabPage';

export const metadata: Metadata = { title: 'What-if lab · Gas Town Fleet' };

export default function Page() {
  return <LabPage />;
}
