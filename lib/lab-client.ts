'use client';
/**
 * The browser's calls to the what-if lab (app/api/lab): each answers with the parsed body
 * or the server's own error message, so a refused parameter reads the same here as from
 * the API or `npm run lab`.
 */
import { csrfHeaders } from './session';
import { PREVIEW_STREAM_TYPE, type Preview, type PreviewLine, type PreviewProgress } from '@/contracts/lab';

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

/**
 * A preview, streamed (contracts/lab.ts PreviewLine): `onProgress` hears each step;
 * aborting `signal` closes the request, which stops the server's work.
 */
export async function labPreview(
  input: unknown,
  onProgress: (p: PreviewProgress) => void,
  signal: AbortSignal,
): Promise<LabAnswer<Preview> | { ok: false; cancelled: true; message: string }> {
  try {
    const response = await fetch('/api/lab/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: PREVIEW_STREAM_TYPE, ...(await csrfHeaders()) },
      body: JSON.stringify(input),
      signal,
    });
    if (!response.ok || !response.body) return answer<Preview>(response); // refused before it started
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += value;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const text of lines.filter(Boolean)) {
        const line = JSON.parse(text) as PreviewLine;
        if (line.kind === 'progress') onProgress(line);
        else if (line.kind === 'done') return { ok: true, data: line.preview };
        else return { ok: false, message: line.error.message };
      }
    }
    return { ok: false, message: 'The server stopped answering before the preview was done' };
  } catch {
    if (signal.aborted) return { ok: false, cancelled: true, message: 'Cancelled: the server stopped the preview' };
    return { ok: false, message: 'Could not reach the server' };
  }
}
