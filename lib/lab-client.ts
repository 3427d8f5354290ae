'use client';
/**
 * The browser's calls to the what-if lab (app/api/lab): each answers with the parsed body
 * or the server's own error message, so a refused parameter reads the same here as from
 * the API or `npm run lab`.
 */
import { csrfHeaders } from './session';

export type LabAnswer<T> = { ok: true; data: T } | { ok: false; message: string };

async function answer<T>(response: Response): Promise<LabAnswer<T>> {
  const body = (await response.json().catch(() => null)) as (T & { error?: { message?: string; details?: unknown } }) | null;
  if (response.ok && body) return { ok: true, data: body };
  return { ok: false, message: body?.error?.message ?? `The server answered ${response.status}` };
}

export async function labPost<T>(path: string, input: unknown): Promise<LabAnswer<T>> {
  try {
    const response = await fetch(`/api/lab/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await csrfHeaders()) },
      body: JSON.stringify(input),
    });
    return answer<T>(response);
  } catch {
    return { ok: false, message: 'Could not reach the server' };
  }
}

export async function labGet<T>(path: string): Promise<LabAnswer<T>> {
  try {
    return answer<T>(await fetch(`/api/lab/${path}`, { cache: 'no-store', headers: { accept: 'application/json' } }));
  } catch {
    return { ok: false, message: 'Could not reach the server' };
  }
}
