/**
 * The HTTP boundary's pure parts: the Host allow-list, the JSON depth scan, the per-address
 * failure limiter, cookie parsing, the audit digest, and the rule that every route handler
 * is declared through lib/api.ts route() (so an unexpected throw is a JSON 500).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { route } from '@/lib/api';
import { parseCookies } from '@/server/auth/authenticator';
import { AUDIT_DIGEST_MAX_CHARS, auditDigest } from '@/server/commands/audit-digest';
import { hasDotSegment } from '@/server/http/boundary';
import { HostAllowList } from '@/server/http/hosts';
import { nestsDeeperThan } from '@/server/http/json-depth';
import { FailureLimiter } from '@/server/http/rate-limit';

describe('HostAllowList', () => {
  const list = (host: string, extra: Partial<ConstructorParameters<typeof HostAllowList>[0]> = {}) =>
    new HostAllowList({ host, port: () => 3500, hostname: 'build-box', interfaces: ['10.0.0.7', 'fe80::1'], ...extra });

  it('answers for the bind address and loopback names on the port only when bound to one address', () => {
    const hosts = list('192.168.1.5');
    for (const ok of ['192.168.1.5:3500', 'localhost:3500', '127.0.0.1:3500', '[::1]:3500', 'LOCALHOST:3500']) {
      expect(hosts.allows(ok), ok).toBe(true);
    }
    for (const bad of [
      'evil.example',
      'evil.example:3500',
      'localhost:3501',
      'localhost',
      'build-box:3500',
      '10.0.0.7:3500',
      '',
      'a b',
    ]) {
      expect(hosts.allows(bad), bad).toBe(false);
    }
    expect(hosts.allows(null)).toBe(false);
  });

  it('adds the host name and interface addresses when listening everywhere', () => {
    const hosts = list('0.0.0.0');
    for (const ok of ['build-box:3500', '10.0.0.7:3500', '[fe80::1]:3500', 'localhost:3500'])
      expect(hosts.allows(ok), ok).toBe(true);
    expect(hosts.allows('build-box:80')).toBe(false);
    expect(hosts.allows('evil.example:3500')).toBe(false);
  });

  it("takes GT_PUBLIC_URL's host at its port or its scheme's default, and GT_ALLOWED_HOSTS names", () => {
    const hosts = list('127.0.0.1', { publicUrl: 'https://gastown.example.com', extra: ['proxy.lan', 'ops.lan:8443'] });
    expect(hosts.allows('gastown.example.com', true)).toBe(true);
    expect(hosts.allows('gastown.example.com:443')).toBe(true);
    expect(hosts.allows('gastown.example.com:3500')).toBe(false);
    expect(hosts.allows('proxy.lan')).toBe(true);
    expect(hosts.allows('proxy.lan:9999')).toBe(true);
    expect(hosts.allows('ops.lan:8443')).toBe(true);
    expect(hosts.allows('ops.lan:8444')).toBe(false);
    expect(() => list('127.0.0.1', { extra: ['not a host'] })).toThrow(/GT_ALLOWED_HOSTS/);
  });
});

describe('nestsDeeperThan', () => {
  it('counts brackets outside strings only, escapes included', () => {
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify({ a: '[[[[[[[[', b: '\\"[[[[' }), 1)).toBe(false);
    expect(nestsDeeperThan('['.repeat(100_000), 64)).toBe(true);
  });
});

describe('FailureLimiter', () => {
  it('refuses an address after max failures until its window ends, and forgets the oldest when full', () => {
    let now = 0;
    const limiter = new FailureLimiter({ max: 3, windowMs: 60_000, maxAddresses: 2, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('a')).toBe(0);
      limiter.fail('a');
    }
    expect(limiter.retryAfter('a')).toBe(60);
    now = 59_500;
    expect(limiter.retryAfter('a')).toBe(1);
    now = 60_000;
    expect(limiter.retryAfter('a')).toBe(0);
    limiter.fail('b');
    limiter.fail('c');
    limiter.fail('d');
    expect(limiter.size).toBe(2);
  });
});

describe('parseCookies', () => {
  it('keeps a foreign cookie with a bad %-escape as it is and still reads the others', () => {
    expect(parseCookies('other_app=100%; gt=a%20b; bad=%E0%A4%A')).toEqual({ other_app: '100%', gt: 'a b', bad: '%E0%A4%A' });
  });
});

describe('auditDigest', () => {
  it('keeps short inputs as they are, except secrets', () => {
    expect(auditDigest({ rig: 'core', workers: 3, apiToken: 'x', nested: { Authorization: 'Bearer y' } })).toEqual({
      rig: 'core',
      workers: 3,
      apiToken: '[redacted]',
      nested: { Authorization: '[redacted]' },
    });
    expect(auditDigest(undefined)).toBeNull();
  });

  it('stays under its bound for big, wide, deep and cyclic inputs without throwing', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const cyclic: Record<string, unknown> = { rig: 'core' };
    cyclic.self = cyclic;
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`key${i}`, 'v'.repeat(500)]));
    for (const input of [{ title: 'a'.repeat(1_000_000) }, deep, cyclic, wide, Array(100_000).fill({ a: 'b'.repeat(300) })]) {
      const digest = auditDigest(input);
      expect(JSON.stringify(digest).length).toBeLessThanOrEqual(AUDIT_DIGEST_MAX_CHARS);
    }
    expect(JSON.stringify(auditDigest(wide))).toMatch(/more keys/);
  });
});

describe('route handlers', () => {
  it('answer an unexpected throw with a JSON 500 naming an error id, the stack only in the log', async () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      const handler = route(() => {
        throw new TypeError('secret detail at /srv/town/engine.ts:42');
      });
      const res = await handler(new Request('http://127.0.0.1/api/town'), {});
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string; id: string } };
      expect(body.error).toMatchObject({ code: 'internal', id: expect.stringMatching(/^[0-9a-f]{12}$/) });
      expect(JSON.stringify(body)).not.toMatch(/secret detail|engine\.ts/);
      expect(String(logged[0]?.[0])).toContain(body.error.id);
      expect(String(logged[0]?.[1])).toMatch(/secret detail/);
    } finally {
      console.error = original;
    }
  });

  it('are all declared through route() from lib/api.ts', () => {
    const root = path.resolve(import.meta.dirname, '..', '..', 'app', 'api');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name === 'route.ts') files.push(full);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(30);
    const bare = files.filter((f) => /export (async )?function (GET|POST|PUT|PATCH|DELETE)\b/.test(readFileSync(f, 'utf8')));
    expect(bare.map((f) => path.relative(root, f))).toEqual([]);
    const wrapped = files.filter((f) => /export const (GET|POST|PUT|PATCH|DELETE) = route\(/.test(readFileSync(f, 'utf8')));
    expect(wrapped.length).toBe(files.length);
  });
});

describe('hasDotSegment', () => {
  it('finds . and .. segments, plain or percent-encoded, and leaves dots inside names alone', () => {
    for (const target of [
      '/api/rigs/../town',
      '/api/rigs/%2e%2e/split',
      '/api/rigs/%2E./split',
      '/api/./town',
      '/api/beads/%2e',
    ]) {
      expect(hasDotSegment(target), target).toBe(true);
    }
    for (const target of ['/api/commands/bead.create', '/api/beads/...', '/api/town?x=..', '/api/rigs/a..b', '/']) {
      expect(hasDotSegment(target), target).toBe(false);
    }
  });
});
