/**
 * The rig lease state machine (engine/lease.ts), pure: what a claim, a renewal and a
 * release do to a lease row at a given database time.
 */
import { describe, expect, it } from 'vitest';
import { isLive, leaseTransition } from '../../server/engine/lease';
import type { RigLease } from '../../server/engine/ports';

const TTL = 10_000;
const held = (owner: string, epoch: number, expiresAt: number): RigLease => ({ rig: 'r', owner, epoch, expiresAt });

describe('the rig lease', () => {
  it('starts at epoch 1 when the first node claims a rig nobody leased', () => {
    expect(leaseTransition(null, { type: 'claim', node: 'a' }, 'r', 1_000, TTL)).toEqual({
      ok: true,
      next: { rig: 'r', owner: 'a', epoch: 1, expiresAt: 11_000 },
    });
  });

  it('refuses a claim while another node holds a live lease', () => {
    expect(leaseTransition(held('a', 3, 11_000), { type: 'claim', node: 'b' }, 'r', 5_000, TTL)).toEqual({
      ok: false,
      refusal: 'held',
    });
  });

  it('lets another node steal an expired lease, bumping the epoch', () => {
    const stolen = leaseTransition(held('a', 3, 11_000), { type: 'claim', node: 'b' }, 'r', 11_000, TTL);
    expect(stolen).toEqual({ ok: true, next: { rig: 'r', owner: 'b', epoch: 4, expiresAt: 21_000 } });
  });

  it("bumps the epoch when a node claims its own row again (a restart fences the node's previous run)", () => {
    const again = leaseTransition(held('a', 3, 11_000), { type: 'claim', node: 'a' }, 'r', 5_000, TTL);
    expect(again).toEqual({ ok: true, next: { rig: 'r', owner: 'a', epoch: 4, expiresAt: 15_000 } });
  });

  it('renews the owner at its epoch, live or expired but untaken, keeping the epoch', () => {
    expect(leaseTransition(held('a', 3, 11_000), { type: 'renew', node: 'a', epoch: 3 }, 'r', 9_000, TTL)).toEqual({
      ok: true,
      next: held('a', 3, 19_000),
    });
    expect(leaseTransition(held('a', 3, 11_000), { type: 'renew', node: 'a', epoch: 3 }, 'r', 30_000, TTL)).toEqual({
      ok: true,
      next: held('a', 3, 40_000),
    });
  });

  it('refuses a renewal or a release with a stale epoch or by another node', () => {
    const lease = held('b', 4, 21_000);
    for (const event of [
      { type: 'renew', node: 'a', epoch: 3 },
      { type: 'renew', node: 'b', epoch: 3 },
      { type: 'release', node: 'a', epoch: 4 },
      { type: 'release', node: 'b', epoch: 5 },
    ] as const) {
      expect(leaseTransition(lease, event, 'r', 15_000, TTL)).toEqual({ ok: false, refusal: 'stale' });
    }
    expect(leaseTransition(null, { type: 'renew', node: 'a', epoch: 1 }, 'r', 0, TTL)).toEqual({ ok: false, refusal: 'stale' });
  });

  it('frees a released lease at once, so the next claim need not wait for the TTL', () => {
    const released = leaseTransition(held('a', 3, 11_000), { type: 'release', node: 'a', epoch: 3 }, 'r', 5_000, TTL);
    expect(released).toEqual({ ok: true, next: { rig: 'r', owner: null, epoch: 3, expiresAt: 5_000 } });
    if (!released.ok) return;
    expect(isLive(released.next, 5_000)).toBe(false);
    expect(leaseTransition(released.next, { type: 'claim', node: 'b' }, 'r', 5_001, TTL)).toEqual({
      ok: true,
      next: { rig: 'r', owner: 'b', epoch: 4, expiresAt: 15_001 },
    });
  });

  it('hands a lease to the named node at the next epoch, and only its owner at its epoch may', () => {
    const lease = held('a', 3, 11_000);
    expect(leaseTransition(lease, { type: 'hand', node: 'a', epoch: 3, to: 'b' }, 'r', 5_000, TTL)).toEqual({
      ok: true,
      next: { rig: 'r', owner: 'b', epoch: 4, expiresAt: 15_000 },
    });
    expect(leaseTransition(lease, { type: 'hand', node: 'a', epoch: 2, to: 'b' }, 'r', 5_000, TTL)).toEqual({
      ok: false,
      refusal: 'stale',
    });
    expect(leaseTransition(lease, { type: 'hand', node: 'c', epoch: 3, to: 'c' }, 'r', 5_000, TTL)).toEqual({
      ok: false,
      refusal: 'stale',
    });
    // Handed over, it is b's: a third node cannot claim it in between.
    expect(leaseTransition(held('b', 4, 15_000), { type: 'claim', node: 'c' }, 'r', 6_000, TTL)).toEqual({
      ok: false,
      refusal: 'held',
    });
  });
});
