'use client';
/**
 * Who this browser is signed in as, and the CSRF token its writes carry (server/auth):
 * fetched once per page from /api/auth/session. Pages use the role to offer actions only
 * to operators (the server refuses a viewer's anyway).
 */
import { useEffect, useState } from 'react';

export interface SessionInfo {
  authenticated: boolean;
  authMode: 'on' | 'off';
  role: 'operator' | 'viewer' | null;
  name: string | null;
  via: 'bearer' | 'session' | 'open' | null;
  csrfToken: string | null;
}

export const CSRF_HEADER = 'x-gt-csrf';

let pending: Promise<SessionInfo> | null = null;

export function loadSession(): Promise<SessionInfo> {
  pending ??= fetch('/api/auth/session', { cache: 'no-store', headers: { accept: 'application/json' } })
    .then((res) => {
      if (!res.ok) throw new Error(`session: HTTP ${res.status}`);
      return res.json() as Promise<SessionInfo>;
    })
    .catch((err: unknown) => {
      pending = null; // try again next time
      throw err;
    });
  return pending;
}

/** Headers a write needs: the session's CSRF token (none for bearer or open sessions). */
export async function csrfHeaders(): Promise<Record<string, string>> {
  try {
    const session = await loadSession();
    return session.csrfToken ? { [CSRF_HEADER]: session.csrfToken } : {};
  } catch {
    return {};
  }
}

/** The session, once known (null while loading or when the server cannot be reached). */
export function useSession(): SessionInfo | null {
  const [session, setSession] = useState<SessionInfo | null>(null);
  useEffect(() => {
    let live = true;
    loadSession().then(
      (s) => live && setSession(s),
      () => {},
    );
    return () => {
      live = false;
    };
  }, []);
  return session;
}

/** True when the signed-in person may act (operators); false while unknown. */
export function useCanAct(): boolean {
  return useSession()?.role === 'operator';
}
