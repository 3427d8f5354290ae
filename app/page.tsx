import { TownOverview } from '@/components/TownOverview';

export default function Page() {
  return <TownOverview />;
}
