import { NextResponse } from 'next/server';
import { actorFor, errorResponse, readJson, toErrorResponse, route } from '@/lib/api';
import { runtime } from '@/lib/runtime';
import { PREVIEW_STREAM_TYPE, type PreviewLine } from '@/contracts/lab';

export const dynamic = 'force-dynamic';

/**
 * Previews an operator's lever on a live rig before it is pulled:
 * `{ rig, change: { kind: 'scale', workers } | { kind: 'stagger', convoy, waveSize } |
 * { kind: 'split', partitions: [{ name, globs }] } }`. Runs the calibrated what-if with and
 * without the change; changes nothing in the town. With `accept: application/x-ndjson`
 * it answers a line per step, then the preview (contracts/lab.ts PreviewLine). Either
 * way, closing the request stops the work.
 */
export const POST = route(async (request: Request) => {
  if (!actorFor(request)) return errorResponse('unauthorized', 'sign in first');
  const body = await readJson(request);
  if (!body.ok) return body.response;
  const lab = runtime().lab;
  try {
    lab.previewRequest(body.body); // a bad request is a 400 before anything runs or streams
  } catch (err) {
    return toErrorResponse(err);
  }
  if (!request.headers.get('accept')?.includes(PREVIEW_STREAM_TYPE)) {
    try {
      return NextResponse.json(await lab.preview(body.body, { signal: request.signal }));
    } catch (err) {
      // Nobody is listening to a stopped preview: no error to report, nothing to log.
      if (request.signal.aborted) return new Response(null, { status: 499 });
      return toErrorResponse(err);
    }
  }
  const stop = new AbortController();
  request.signal.addEventListener('abort', () => stop.abort(request.signal.reason), { once: true });
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(out) {
      const send = (line: PreviewLine) => {
        if (!stop.signal.aborted) out.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
      };
      try {
        const preview = await lab.preview(body.body, {
          signal: stop.signal,
          onProgress: (p) => send({ kind: 'progress', ...p }),
        });
        send({ kind: 'done', preview });
      } catch (err) {
        if (stop.signal.aborted) return;
        const answer = toErrorResponse(err);
        send({ kind: 'error', status: answer.status, ...(await answer.json()) });
      }
      if (!stop.signal.aborted) out.close();
    },
    cancel: (reason) => stop.abort(reason),
  });
  return new Response(stream, { headers: { 'content-type': PREVIEW_STREAM_TYPE, 'cache-control': 'no-store' } });
});
