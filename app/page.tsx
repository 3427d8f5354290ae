import { TownOverview } from '@/components/TownOverview';
import { runtime } from '@/lib/runtime';

// Rendered per request with the town as it is now, so the first paint already holds the
// data; the socket then keeps it live. (The auth gate has let only signed-in people here.)
// In a cluster, the town is every node's rigs (docs/cluster.md).
export const dynamic = 'force-dynamic';

export default async function Page() {
  return <TownOverview initial={await runtime().townReads.overview()} />;
}
