import type { Metadata } from 'next';
import { CostsPage } from '@/components/CostsPanel';

export const metadata: Metadata = { title: 'Costs · Gas Town Fleet' };

export default function Page() {
  return <CostsPage />;
}
