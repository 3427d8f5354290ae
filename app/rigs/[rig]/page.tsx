import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { RigPage } from '@/components/RigPage';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ rig: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { rig } = await params;
  return { title: `${rig} · Gas Town Fleet` };
}

/**
 * A rig's page: the shell checks the rig exists, here or on the node that runs it (a cluster);
 * the live view is the client's, over the socket (another node's rig: that node's view).
 */
export default async function Page({ params }: Props) {
  const { rig } = await params;
  const { town, townReads } = runtime();
  if (!town.rigs.get(rig) && !(await townReads.elsewhere(rig))) notFound();
  return <RigPage rig={rig} />;
}
