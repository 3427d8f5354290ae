import type { Metadata } from 'next';
import { ConvoyList } from '@/components/ConvoyList';

export const metadata: Metadata = { title: 'Convoys · Gas Town Fleet' };

export default function Page() {
  return <ConvoyList />;
}
