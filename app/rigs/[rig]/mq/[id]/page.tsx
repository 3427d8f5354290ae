import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { MergeRequestPage } from '@/components/MergeRequestPage';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ rig: string; id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { rig, id } = await params;
  return { title: `${id} · ${rig} · Gas Town Fleet` };
}

/** A merge request's page: what it is, where it stands, and each check's exit status, duration and output. */
export default async function Page({ params }: Props) {
  const { rig, id } = await params;
  const detail = await runtime().queries.mergeRequest(rig, id);
  if (!detail) notFound();
  return <MergeRequestPage detail={detail} />;
}
