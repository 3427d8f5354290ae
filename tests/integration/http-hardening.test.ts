/**
 * The HTTP boundary against the real server process (server/main.ts on a free port and
 * its own data directory): the Host allow-list whatever GT_AUTH says, the scheme-aware
 * origin check, body and nesting limits, foreign cookies, bad percent-escapes, bounded
 * filters and pages, the audit digest, and the per-address limit on failed sign-ins.
 * Figures (time and resident memory around a 100 MB body) are printed; the targets are
 * checked by `npm run bench -- body-limit` (bench/body-limit.ts).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, rawRequest, startTestServer, type TestServer } from '../support/http-server';

const OPERATOR = 'operator-token-http-hardening';
const VIEWER = 'viewer-token-http-hardening';
const MB = 1024 * 1024;
/** Next compiles a route on its first request when no production build exists. */
const FIRST_COMPILE_MS = 180_000;

/** A websocket upgrade straight to socket.io (no polling first); resolves with the status line it got. */
function upgrade(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    let got = '';
    socket.on('data', (chunk) => {
      got += chunk.toString('latin1');
      if (got.includes('\r\n')) {
        resolve(got.slice(0, got.indexOf('\r\n')));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got || 'closed'));
  });
}

const errorCode = (json: unknown) => (json as { error?: { code?: string } } | undefined)?.error?.code;

describe('the HTTP boundary with GT_AUTH=off', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { GT_AUTH: 'off' } });
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a request for another host (DNS rebinding) on pages, the API and the socket handshake', async () => {
    const evil = { host: 'evil.example', origin: 'http://evil.example' };
    for (const [method, target] of [
      ['GET', '/'],
      ['GET', '/api/town'],
      ['POST', '/api/commands/refinery.scale'],
      ['GET', '/api/health'],
    ] as const) {
      const res = await rawRequest(server, target, { method, headers: evil, body: method === 'POST' ? '{}' : undefined });
      expect(res.status, `${method} ${target}`).toBe(421);
      expect(errorCode(res.json)).toBe('misdirected');
    }
    const handshake = await rawRequest(server, '/socket.io/?EIO=4&transport=polling', { headers: evil });
    expect(handshake.status).toBe(403);
    expect(await upgrade(server.port, 'evil.example')).not.toMatch(/ 101 /);
    expect(await upgrade(server.port, `127.0.0.1:${server.port}`)).toMatch(/ 101 /);
    // Its own names still answer.
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`]) {
      expect((await rawRequest(server, '/socket.io/?EIO=4&transport=polling', { headers: { host } })).status).toBe(200);
    }
    expect((await rawRequest(server, '/api/auth/session', { headers: { host: `localhost:${server.port + 1}` } })).status).toBe(
      421,
    );
  });

  it('refuses a write whose Origin has another scheme or port, and takes its own origin', async () => {
    const logout = (origin: string, headers: Record<string, string> = {}) =>
      rawRequest(server, '/api/auth/logout', { method: 'POST', headers: { origin, ...headers } });
    expect((await logout(`https://127.0.0.1:${server.port}`)).status).toBe(403);
    expect((await logout(`http://127.0.0.1:${server.port + 1}`)).status).toBe(403);
    expect((await logout('null')).status).toBe(403);
    expect((await logout(`http://127.0.0.1:${server.port}`)).status).toBe(200);
    // Behind a TLS proxy that says so, https is the server's own scheme.
    expect((await logout(`https://127.0.0.1:${server.port}`, { 'x-forwarded-proto': 'https' })).status).toBe(200);
  });

  it('refuses a 100 MB body with 413 at once, without reading or holding it', async () => {
    const rssBefore = server.rssBytes();
    const t0 = performance.now();
    const declared = await rawRequest(server, '/api/beads', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(100 * MB) },
      body: bytes(100 * MB),
    });
    const declaredMs = performance.now() - t0;
    expect(declared.status).toBe(413);
    expect(errorCode(declared.json)).toBe('too_large');

    const t1 = performance.now();
    const chunked = await rawRequest(server, '/api/beads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bytes(100 * MB),
    });
    const chunkedMs = performance.now() - t1;
    expect(chunked.status).toBe(413);
    const rssAfter = server.rssBytes();
    console.log(
      `[http-hardening] 100 MB body: Content-Length refused in ${declaredMs.toFixed(1)} ms, chunked in ${chunkedMs.toFixed(1)} ms; ` +
        `server RSS ${(rssBefore / MB).toFixed(1)} MB -> ${(rssAfter / MB).toFixed(1)} MB`,
    );
    // The targets (< 100 ms, < 20 MB) are met in `npm run bench -- body-limit`, not here:
    // a timed assertion on a loaded 2-core machine fails for reasons of its own.
    expect((await rawRequest(server, '/api/auth/session')).status).toBe(200);
  });

  it('answers 100,000 nested [ with a 400 and stays healthy', { timeout: FIRST_COMPILE_MS }, async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const target of ['/api/beads', '/api/commands/bead.create']) {
      const res = await rawRequest(server, target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: deep,
      });
      expect(res.status, target).toBe(400);
      expect(res.json).toMatchObject({ error: { code: 'invalid', message: expect.stringMatching(/nests deeper/) } });
    }
    const health = await rawRequest(server, '/api/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ ok: true, failedWrites: 0 });
  });

  it('serves pages and the API when another app set a cookie with a bad %-escape', { timeout: FIRST_COMPILE_MS }, async () => {
    const cookie = 'other_app=100%; theme=%E0%A4%A';
    for (const target of ['/api/town', '/api/auth/session', '/login', '/']) {
      const res = await rawRequest(server, target, { headers: { cookie } });
      expect(res.status, target).toBe(200);
    }
  });

  it('answers a bad percent-escape in the path with a JSON 400', async () => {
    const res = await rawRequest(server, '/api/convoys/%ff/dispatch', { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(errorCode(res.json)).toBe('invalid');
    expect((await rawRequest(server, '/rigs/%E0%A4%A')).status).toBe(400);
  });

  it('refuses a list filter past 50 values with a 400 on every comma-list route', { timeout: FIRST_COMPILE_MS }, async () => {
    const many = (value: string, n: number) => Array.from({ length: n }, () => value).join(',');
    // 5,000 values of a free-text filter; 51 of an enum's (5,000 of them would pass Node's 16 KB header bound, below).
    for (const [target, value, n] of [
      ['/api/events?type=', 'x', 5_000],
      ['/api/audit?action=', 'x', 5_000],
      ['/api/beads?status=', 'open', 51],
      ['/api/gates?status=', 'open', 51],
      ['/api/alerts?state=', 'firing', 51],
      ['/api/escalations?status=', 'open', 51],
    ] as const) {
      const res = await rawRequest(server, target + many(value, n));
      expect(res.status, target).toBe(400);
      expect(errorCode(res.json)).toBe('invalid');
    }
    const huge = await rawRequest(server, `/api/beads?status=${many('open', 5_000)}`);
    expect(huge.status).toBe(431);
    expect(errorCode(huge.json)).toBe('too_large');
    expect((await rawRequest(server, `/api/events?type=${Array(50).fill('x').join(',')}`)).status).toBe(200);
  });

  it(
    'keeps a bounded, redacted digest of a big input in the audit log, and pages it',
    { timeout: FIRST_COMPILE_MS },
    async () => {
      const input = {
        rig: 'no-such-rig',
        title: 'a'.repeat(600_000),
        labels: Array.from({ length: 5_000 }, (_, i) => `label-${i}`),
        token: 'sk-live-do-not-keep',
        nested: { authorization: 'Bearer abc', deeper: { password: 'hunter2' } },
      };
      const res = await rawRequest(server, '/api/commands/bead.create', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      expect(res.status).toBe(400);
      const audit = await rawRequest(server, '/api/audit?limit=1');
      const [row] = audit.json as Array<{ id: number; action: string; input: Record<string, unknown> }>;
      expect(row.action).toBe('bead.create');
      const stored = JSON.stringify(row.input);
      expect(stored.length).toBeLessThanOrEqual(4096);
      expect(stored).not.toMatch(/sk-live|hunter2|Bearer abc/);
      expect(row.input).toMatchObject({ rig: 'no-such-rig', token: '[redacted]' });
      expect(row.input.title).toMatch(/600000 chars/);

      expect((await rawRequest(server, '/api/audit?limit=5000')).status).toBe(400);
      expect((await rawRequest(server, '/api/events?limit=1001')).status).toBe(400);
      await rawRequest(server, '/api/commands/rig.park', { method: 'POST', body: '{"rig":"nope"}' });
      const page = (await rawRequest(server, '/api/audit?limit=1')).json as Array<{ id: number }>;
      const next = (await rawRequest(server, `/api/audit?limit=5&before=${page[0].id}`)).json as Array<{ id: number }>;
      expect(next.map((r) => r.id)).toEqual([row.id]);
    },
  );
});

describe('the HTTP boundary with GT_AUTH=on', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: { GT_AUTH: 'on', GT_OPERATOR_TOKEN: OPERATOR, GT_VIEWER_TOKEN: VIEWER, GT_ALLOWED_HOSTS: 'gastown.internal' },
    });
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses another host even with a valid token, and answers for GT_ALLOWED_HOSTS names', async () => {
    const bearer = { authorization: `Bearer ${OPERATOR}` };
    expect((await rawRequest(server, '/api/auth/session', { headers: { host: 'evil.example', ...bearer } })).status).toBe(421);
    const allowed = await rawRequest(server, '/api/auth/session', { headers: { host: 'gastown.internal', ...bearer } });
    expect(allowed.status).toBe(200);
    expect(allowed.json).toMatchObject({ authenticated: true, role: 'operator' });
  });

  it('limits failed sign-ins and bad tokens per address to 10 a minute with 429 and Retry-After', async () => {
    const session = (token: string) => rawRequest(server, '/api/auth/session', { headers: { authorization: `Bearer ${token}` } });
    // Successes do not count.
    for (let i = 0; i < 15; i++) expect((await session(OPERATOR)).status).toBe(200);
    // Ten failures by any of the three ways in...
    for (let i = 0; i < 4; i++) {
      const res = await rawRequest(server, '/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: `guess-${i}` }),
      });
      expect(res.status).toBe(401);
    }
    for (let i = 0; i < 3; i++) expect((await rawRequest(server, `/?token=guess-${i}`)).status).toBe(303);
    for (let i = 0; i < 3; i++) {
      expect((await rawRequest(server, '/api/town', { headers: { authorization: `Bearer guess-${i}` } })).status).toBe(401);
    }
    // ...and the address is refused, the right token included, until the window ends.
    for (const res of [
      await session('guess-again'),
      await session(OPERATOR),
      await rawRequest(server, '/api/auth/login', { method: 'POST', body: JSON.stringify({ token: OPERATOR }) }),
      await rawRequest(server, `/?token=${OPERATOR}`),
    ]) {
      expect(res.status).toBe(429);
      expect(errorCode(res.json)).toBe('rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
  });
});
