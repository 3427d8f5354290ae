import type { Metadata } from 'next';
import { LoginForm } from './LoginForm';

export const metadata: Metadata = { title: 'Sign in · Gas Town Fleet' };

type Props = { searchParams: Promise<{ next?: string; error?: string }> };

/** Sign-in: the token the server printed at start (or set with GT_OPERATOR_TOKEN / GT_VIEWER_TOKEN). */
export default async function Page({ searchParams }: Props) {
  const { next, error } = await searchParams;
  return <LoginForm next={next ?? '/'} invalid={error === 'invalid'} />;
}
