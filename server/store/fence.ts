/**
 * Fencing for rig-scoped writes (docs/cluster.md): inside the write's transaction, first
 * check that this node still holds each rig's lease at the epoch it holds it by.
 *
 * The check is an `updateMany` that rewrites the epoch with itself, `where { rig, owner, epoch }`:
 * count 0 means the lease moved on (another node claimed it) and the whole transaction is
 * refused with FencedError. An update rather than a read because on PostgreSQL it locks the
 * lease row until the write commits, so a concurrent claim (an update of the same row) waits
 * and lands after it: a write is either before the steal or refused, never after it. On
 * SQLite the transaction holds the one write lock, which orders them the same way.
 *
 * A rig this node does not hold may only be a rig being created here: no lease row and no
 * stored rig yet. Then the store claims it in the same transaction (epoch 1), so a new rig
 * (gt rig add, a split's partitions) is owned by the node that made it from its first row.
 */
import type { Prisma } from './generated/client';
import { FencedError } from '../engine/errors';
import type { RigLease, WriteFence } from '../engine/ports';

/** Checks (or, for new rigs, takes) every lease in `rigs`; returns the leases it took. */
export async function holdFence(tx: Prisma.TransactionClient, fence: WriteFence, rigs: Iterable<string>): Promise<RigLease[]> {
  const created: RigLease[] = [];
  for (const rig of new Set(rigs)) {
    const epoch = fence.epochOf(rig);
    if (epoch !== undefined) {
      const { count } = await tx.rigLease.updateMany({ where: { rig, owner: fence.node, epoch }, data: { epoch } });
      if (count !== 1) throw new FencedError(rig, epoch, `node '${fence.node}' no longer holds its lease at epoch ${epoch}`);
      continue;
    }
    const lease = await tx.rigLease.findUnique({ where: { rig }, select: { rig: true } });
    const stored = await tx.rig.findUnique({ where: { name: rig }, select: { name: true } });
    if (lease || stored) throw new FencedError(rig, null, `node '${fence.node}' does not hold its lease`);
    const next: RigLease = { rig, owner: fence.node, epoch: 1, expiresAt: (await fence.now()) + fence.ttlMs };
    await tx.rigLease.create({ data: next, select: { rig: true } });
    created.push(next);
  }
  return created;
}

/** The rig a polecat id (`<rig>/<name>`) belongs to. */
export function rigOfPolecatId(id: string): string {
  const slash = id.indexOf('/');
  return slash < 0 ? id : id.slice(0, slash);
}
