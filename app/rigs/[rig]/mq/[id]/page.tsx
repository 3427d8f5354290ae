import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { MergeRequestPage } from '@/components/MergeRequestPage';
import { runtime } from '@/lib/runtime';
import type { MergeRequestDetail } from '@/contracts/town';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ rig: string; id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { rig, id } = await params;
  return { title: `${id} · ${rig} · Gas Town Fleet` };
}

/**
 * A merge request's page: what it is, where it stands, and each check's exit status, duration
 * and output. In a cluster, a request of another node's rig is that node's answer.
 */
export default async function Page({ params }: Props) {
  const { rig, id } = await params;
  const { queries, townReads } = runtime();
  const relayed = await townReads.fromOwner<MergeRequestDetail>(
    rig,
    `/api/rigs/${encodeURIComponent(rig)}/mq/${encodeURIComponent(id)}`,
  );
  const detail = relayed.here ? await queries.mergeRequest(rig, id) : relayed.body;
  if (!detail) notFound();
  return <MergeRequestPage detail={detail} />;
}
