/**
 * Authentication and authorisation over real HTTP: the gate every request passes (the one
 * server/main.ts puts in front of Next), behind it a command endpoint that asks the same
 * Authenticator who the actor is and runs the real CommandBus, like app/api does. A
 * viewer cannot act (403); a browser write without its CSRF token is refused; the
 * unauthenticated get 401 (API) or the sign-in page; credentials persist in the data dir.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '@/server/auth/authenticator';
import { resolveCredentials, type Credentials } from '@/server/auth/credentials';
import { createAuthGate, identify } from '@/server/auth/http-gate';
import { createCommandBus } from '@/server/commands';
import type { Town } from '@/server/engine/town';
import { createHarness, type Harness } from '../support/engine-harness';

const OPERATOR = 'operator-token-for-tests';
const VIEWER = 'viewer-token-for-tests';

describe('operator authentication', () => {
  let h: Harness;
  let town: Town;
  let server: Server;
  let base: string;
  let auth: Authenticator;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gt-auth-'));
    const credentials = await resolveCredentials({
      dataDir,
      mode: 'on',
      host: '127.0.0.1',
      operatorToken: OPERATOR,
      viewerToken: VIEWER,
    });
    auth = new Authenticator(credentials);
    h = await createHarness();
    town = await h.open();
    await town.rigs.add({ name: 'myproject', repoPath: h.repoPath });
    const bus = createCommandBus({ engine: town });
    const gate = createAuthGate({ auth });
    server = createServer(async (req, res) => {
      if (await gate(req, res)) return;
      // What lib/api.ts does: the actor from the same headers, then one command.
      const who = identify(auth, req);
      const match = /^\/api\/commands\/([\w.]+)$/.exec(req.url ?? '');
      if (!match || !who) return res.writeHead(match ? 401 : 200, { 'content-type': 'text/plain' }).end('page');
      let body = '';
      for await (const chunk of req) body += chunk;
      try {
        const result = await bus.execute(match[1], body ? JSON.parse(body) : {}, who.actor);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      } catch (err) {
        const code = (err as { code?: string }).code;
        res.writeHead(code === 'forbidden' ? 403 : code === 'not_found' ? 404 : 400).end(JSON.stringify({ error: { code } }));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await town?.stop();
    await h?.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  const scale = (headers: Record<string, string>) =>
    fetch(`${base}/api/commands/refinery.scale`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ rig: 'myproject', workers: 2 }),
    });

  /** Signs in through the printed URL; returns the session cookie and its CSRF token. */
  async function signIn(token: string, name = 'ada'): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(`${base}/rigs/myproject?token=${token}&name=${name}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/rigs/myproject'); // the token leaves the address bar
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax/);
    const session = await (await fetch(`${base}/api/auth/session`, { headers: { cookie } })).json();
    expect(session).toMatchObject({ authenticated: true, name, via: 'session' });
    return { cookie, csrf: session.csrfToken };
  }

  it('answers the unauthenticated with 401 on the API and the sign-in page for pages', async () => {
    expect((await fetch(`${base}/api/town`)).status).toBe(401);
    const page = await fetch(`${base}/rigs/myproject`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Frigs%2Fmyproject');
    expect((await fetch(`${base}/login`)).status).toBe(200);
    expect((await fetch(`${base}/api/town`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const bad = await fetch(`${base}/?token=nope`, { redirect: 'manual' });
    expect(bad.headers.get('location')).toBe('/login?error=invalid&next=%2F');
  });

  it('refuses a viewer any operator action (403), by token or by session, and changes nothing', async () => {
    const byToken = await scale({ authorization: `Bearer ${VIEWER}` });
    expect(byToken.status).toBe(403);
    expect((await byToken.json()).error.message).toMatch(/viewer/);
    const { cookie, csrf } = await signIn(VIEWER, 'vic');
    expect((await scale({ cookie, 'x-gt-csrf': csrf })).status).toBe(403);
    // Past the gate, the CommandBus refuses too (and audits it).
    await expect(
      createCommandBus({ engine: town }).execute(
        'refinery.scale',
        { rig: 'myproject', workers: 2 },
        { name: 'vic', role: 'viewer' },
      ),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    expect(town.rigs.get('myproject')!.settings.refineryWorkers).toBe(1);
    // Viewers still read.
    expect((await fetch(`${base}/rigs/myproject`, { headers: { cookie } })).status).toBe(200);
  });

  it('refuses a browser write without its CSRF token, or with another session’s, and accepts it with', async () => {
    const { cookie, csrf } = await signIn(OPERATOR);
    const other = await signIn(OPERATOR, 'bob');
    const missing = await scale({ cookie });
    expect(missing.status).toBe(403);
    expect((await missing.json()).error.code).toBe('csrf');
    expect((await scale({ cookie, 'x-gt-csrf': other.csrf })).status).toBe(403);
    expect(town.rigs.get('myproject')!.settings.refineryWorkers).toBe(1);
    const ok = await scale({ cookie, 'x-gt-csrf': csrf });
    expect(ok.status).toBe(200);
    expect(town.rigs.get('myproject')!.settings.refineryWorkers).toBe(2);
    await town.settle();
    const [audit] = await h.store.listAudit(1);
    expect(audit).toMatchObject({ actor: 'ada', role: 'operator', action: 'refinery.scale', ok: true });
  });

  it('refuses cross-origin writes even with valid credentials', async () => {
    const { cookie, csrf } = await signIn(OPERATOR);
    expect((await scale({ cookie, 'x-gt-csrf': csrf, origin: 'https://evil.example' })).status).toBe(403);
    expect((await scale({ authorization: `Bearer ${OPERATOR}`, origin: 'https://evil.example' })).status).toBe(403);
  });

  it('lets scripts act with the operator token and no CSRF token (nothing ambient to forge)', async () => {
    const res = await scale({ authorization: `Bearer ${OPERATOR}`, 'x-gt-actor': 'cron job' });
    expect(res.status).toBe(200);
    await town.settle();
    expect((await h.store.listAudit(1))[0]).toMatchObject({ actor: 'cron job', role: 'operator' });
  });

  it('signs in with the login form and out again', async () => {
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ token: OPERATOR, name: 'Grace', next: '/alerts' }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/alerts');
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    expect(identify(auth, { headers: { cookie } } as never)?.actor).toEqual({ name: 'Grace', role: 'operator' });
    const wrong = await fetch(`${base}/api/auth/login`, { method: 'POST', body: JSON.stringify({ token: 'nope' }) });
    expect(wrong.status).toBe(401);
    const evil = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: JSON.stringify({ token: OPERATOR }),
    });
    expect(evil.status).toBe(403);
    const out = await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });

  it('never redirects a sign-in to another site', async () => {
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: OPERATOR, next: '//evil.example/' }),
    });
    expect(res.headers.get('location')).toBe('/');
  });
});

describe('credentials', () => {
  it('generates tokens on first start, keeps them in the data dir (0600), and reuses them', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gt-cred-'));
    try {
      const first = await resolveCredentials({ dataDir, mode: 'on', host: '127.0.0.1' });
      expect(first.createdFile).toBe(true);
      expect(first.operatorToken).toMatch(/^gto_/);
      expect(first.viewerToken).toMatch(/^gtv_/);
      expect((await stat(first.file)).mode & 0o777).toBe(0o600);
      const second = await resolveCredentials({ dataDir, mode: 'on', host: '127.0.0.1' });
      expect(second).toMatchObject({ operatorToken: first.operatorToken, viewerToken: first.viewerToken, createdFile: false });
      // A token set in the environment wins, and the sessions it did not open end.
      const a = new Authenticator(first);
      const { value } = a.issue('operator', 'ada');
      const rotated = await resolveCredentials({ dataDir, mode: 'on', host: '127.0.0.1', operatorToken: 'a-new-operator-token' });
      expect(rotated.operatorToken).toBe('a-new-operator-token');
      expect(new Authenticator(rotated).readSession(value)).toBeNull();
      expect(a.readSession(value)).not.toBeNull();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses GT_AUTH=off on a non-loopback address; off means the local operator for everyone', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gt-cred-'));
    try {
      await expect(resolveCredentials({ dataDir, mode: 'off', host: '0.0.0.0' })).rejects.toThrow(/loopback/);
      const off: Credentials = await resolveCredentials({ dataDir, mode: 'off', host: '127.0.0.1' });
      expect(new Authenticator(off).authenticate({})).toMatchObject({
        actor: { name: 'local-operator', role: 'operator' },
        via: 'open',
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('rejects a tampered or expired session cookie', () => {
    let now = 1_000;
    const a = new Authenticator(
      {
        mode: 'on',
        operatorToken: OPERATOR,
        viewerToken: VIEWER,
        sessionSecret: 'x'.repeat(32),
        file: '',
        stored: { operator: false, viewer: false },
        createdFile: false,
      },
      () => now,
      60_000,
    );
    const { value } = a.issue('viewer', 'vic');
    const [payload, sig] = value.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'operator' }),
    ).toString('base64url');
    expect(a.readSession(`${forged}.${sig}`)).toBeNull();
    expect(a.readSession(value)).toMatchObject({ role: 'viewer' });
    now += 60_001;
    expect(a.readSession(value)).toBeNull();
  });
});
