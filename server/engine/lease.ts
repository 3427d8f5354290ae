/**
 * The rig lease as a state machine: one pure function deciding what a claim, a renewal or
 * a release does to a lease row, on the database's clock. The adapter (store/prisma-leases.ts)
 * reads the row, asks here, and writes the answer by compare-and-swap on the epoch it read.
 *
 *   state \ event           claim(n)              renew(n, e)                 release(n, e), hand(n, e, to)
 *   none                    epoch 1, owner n      stale                       stale
 *   free (owner null)       epoch + 1, owner n    stale                       stale
 *   held by n (live/expired) epoch + 1 (a new run  e = epoch: extended        e = epoch: free
 *                           of n fences the old)  else stale                  else stale
 *   held by m, live         held                  stale                       stale
 *   held by m, expired      epoch + 1, owner n    n = m, e = epoch: extended  n = m, e = epoch: free
 *                                                 else stale                  else stale
 *
 * `hand` is a release addressed to one node (gt rig move): where release frees the row,
 * hand gives it to `to` at epoch + 1 with a fresh TTL, so nobody else can claim it in
 * between; `to` claims it on its next heartbeat (its own row: epoch + 1 again) and attaches.
 *
 * A renewal of an expired lease nobody took yet succeeds: the epoch did not move, so no
 * other node can have written with a newer one. Every claim bumps the epoch, even a node's
 * claim of its own row: a restarted node (same GT_NODE) fences its previous run.
 */
import type { RigLease } from './ports';

export type LeaseEvent =
  | { type: 'claim'; node: string }
  | { type: 'renew'; node: string; epoch: number }
  | { type: 'release'; node: string; epoch: number }
  | { type: 'hand'; node: string; epoch: number; to: string };

/** `held`: another node's live lease; `stale`: the caller's epoch (or ownership) is not the row's any more. */
export type LeaseRefusal = 'held' | 'stale';

export type LeaseDecision = { ok: true; next: RigLease } | { ok: false; refusal: LeaseRefusal };

/** Whether `lease` still binds at database time `now`. */
export function isLive(lease: RigLease, now: number): boolean {
  return lease.owner !== null && lease.expiresAt > now;
}

/** What `event` does to `current` (null: no row yet) at database time `now`. */
export function leaseTransition(
  current: RigLease | null,
  event: LeaseEvent,
  rig: string,
  now: number,
  ttlMs: number,
): LeaseDecision {
  const refuse = (refusal: LeaseRefusal): LeaseDecision => ({ ok: false, refusal });
  switch (event.type) {
    case 'claim': {
      if (current && isLive(current, now) && current.owner !== event.node) return refuse('held');
      return { ok: true, next: { rig, owner: event.node, epoch: (current?.epoch ?? 0) + 1, expiresAt: now + ttlMs } };
    }
    case 'renew': {
      if (!current || current.owner !== event.node || current.epoch !== event.epoch) return refuse('stale');
      return { ok: true, next: { ...current, expiresAt: now + ttlMs } };
    }
    case 'release': {
      if (!current || current.owner !== event.node || current.epoch !== event.epoch) return refuse('stale');
      return { ok: true, next: { ...current, owner: null, expiresAt: now } };
    }
    case 'hand': {
      if (!current || current.owner !== event.node || current.epoch !== event.epoch) return refuse('stale');
      return { ok: true, next: { rig, owner: event.to, epoch: current.epoch + 1, expiresAt: now + ttlMs } };
    }
    default: {
      const never: never = event;
      throw new Error(`unknown lease event ${JSON.stringify(never)}`);
    }
  }
}
