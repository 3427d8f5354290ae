/** The signed caller on a forwarded request (server/cluster/forwarded-identity.ts). */
import { describe, expect, it } from 'vitest';
import { forwardedHeaders, forwardingHeaders, verifyForwarded } from '@/server/cluster/forwarded-identity';

const SECRET = 'the-town-cluster-secret';
const read = (headers: Record<string, string>) => forwardedHeaders((name) => headers[name] ?? null);

describe('forwarded identity', () => {
  it('names the caller and the relaying node when signed with the cluster secret', () => {
    const headers = forwardingHeaders(SECRET, 'node-b', { name: 'Zoë (cron)', role: 'operator' });
    expect(headers['x-gt-forwarded-actor']).toBe('Zo%C3%AB%20(cron)');
    expect(verifyForwarded(SECRET, read(headers))).toEqual({ actor: { name: 'Zoë (cron)', role: 'operator' }, by: 'node-b' });
  });

  it('refuses another secret, no secret, a changed role, name or node, and malformed headers', () => {
    const headers = forwardingHeaders(SECRET, 'node-b', { name: 'ada', role: 'viewer' });
    expect(verifyForwarded('another-secret-entirely', read(headers))).toBeNull();
    expect(verifyForwarded(null, read(headers))).toBeNull();
    expect(verifyForwarded(SECRET, read({ ...headers, 'x-gt-forwarded-role': 'operator' }))).toBeNull();
    expect(verifyForwarded(SECRET, read({ ...headers, 'x-gt-forwarded-actor': 'grace' }))).toBeNull();
    expect(verifyForwarded(SECRET, read({ ...headers, 'x-gt-forwarded-by': 'node-c' }))).toBeNull();
    expect(verifyForwarded(SECRET, read({ ...headers, 'x-gt-forwarded-actor': '%E0%A4%A' }))).toBeNull();
    expect(verifyForwarded(SECRET, read({ ...headers, 'x-gt-forwarded-signature': '' }))).toBeNull();
    expect(verifyForwarded(SECRET, read({ 'x-gt-forwarded-by': 'node-b' }))).toBeNull();
  });
});
