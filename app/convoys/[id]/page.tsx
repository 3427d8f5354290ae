import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { ConvoyPage } from '@/components/ConvoyPage';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

const find = (id: string) => runtime().queries.convoy(id);

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  const convoy = await find(id);
  return { title: `${convoy?.title ?? id} · Convoys · Gas Town Fleet` };
}

/** A convoy's page: the shell checks the convoy exists; the live view is the client's. */
export default async function Page({ params }: Props) {
  const { id } = await params;
  if (!(await find(id))) notFound();
  return <ConvoyPage id={id} />;
}
