/**
 * Issue 17's body-limit target: a 100 MB request body is refused in under 100 ms with the
 * server's resident memory growing by under 20 MB. One real server (GT_AUTH=off, the
 * demo town), two bodies: one declared by Content-Length, one chunked. The median of
 * five tries each; RSS is read from /proc before the first and after the last.
 */
import { bytes, rawRequest, startTestServer } from '../tests/support/http-server';

const MB = 1024 * 1024;
const TRIES = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function printBodyLimit(): Promise<void> {
  console.log('\nBody limit: a 100 MB POST /api/beads against the 1 MB limit (real server)\n');
  const server = await startTestServer({ env: { GT_AUTH: 'off' } });
  try {
    // Warm the route and the request path once, so the first try does not measure a compile.
    await rawRequest(server, '/api/beads', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const rssBefore = server.rssBytes();
    const times = { declared: [] as number[], chunked: [] as number[] };
    for (let i = 0; i < TRIES; i++) {
      for (const kind of ['declared', 'chunked'] as const) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (kind === 'declared') headers['content-length'] = String(100 * MB);
        const t0 = performance.now();
        const res = await rawRequest(server, '/api/beads', { method: 'POST', headers, body: bytes(100 * MB) });
        times[kind].push(performance.now() - t0);
        if (res.status !== 413) throw new Error(`expected 413, got ${res.status}`);
      }
    }
    const growth = (server.rssBytes() - rssBefore) / MB;
    const declared = median(times.declared);
    const chunked = median(times.chunked);
    console.log('body                   median refusal  target    RSS growth (all 10 bodies)  target');
    console.log(
      `100 MB, Content-Length ${`${declared.toFixed(1)} ms`.padStart(14)}  < 100 ms  ${`${growth.toFixed(1)} MB`.padStart(26)}  < 20 MB`,
    );
    console.log(`100 MB, chunked        ${`${chunked.toFixed(1)} ms`.padStart(14)}  < 100 ms`);
    console.log(
      `\nrefusal < 100 ms: ${declared < 100 && chunked < 100 ? 'met' : 'MISSED'}; RSS growth < 20 MB: ${growth < 20 ? 'met' : 'MISSED'}`,
    );
  } finally {
    await server.stop();
  }
}
