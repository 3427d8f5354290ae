/**
 * Fencing for rig-scoped writes (docs/cluster.md): the write's transaction opens with a
 * statement per rig that holds only if this node still holds the rig's lease at the epoch
 * it holds it by, so a stale owner's write changes nothing.
 *
 * - A rig held at epoch e: `rigLease.update({ where: { rig, owner: me, epoch: e }, data: { epoch: e } })`.
 *   No such row (another node claimed it, the epoch moved on) and Prisma throws "record not
 *   found": the whole transaction is rolled back. An update rather than a read because on
 *   PostgreSQL it locks the lease row until the write commits, so a concurrent claim waits
 *   for it: a write is either before the steal or refused, never after it. On SQLite the
 *   transaction holds the one write lock, which orders them the same way.
 * - A rig not held may only be one created here (gt rig add, a split's partition): the
 *   transaction creates its lease (epoch 1, this node's); a lease already there (another
 *   node's rig) makes the create fail on the primary key, and the transaction with it.
 *
 * One batch transaction (`$transaction([...])`), not an interactive one: on a SQLite file
 * shared by several servers an interactive transaction holds the write lock across the
 * awaits between its statements, and a server whose event loop stalls there (a page
 * compiling) locks the other nodes out past their busy timeout.
 *
 * When the transaction fails, the leases are read again to tell a fence from any other
 * failure (portable: no provider's error codes).
 */
import type { Prisma } from './generated/client';
import type { StoreClient } from './client';
import { FencedError } from '../engine/errors';
import type { RigLease, WriteFence } from '../engine/ports';

export interface FenceStatements {
  /** The transaction's first statements, one per rig. */
  statements: Prisma.PrismaPromise<unknown>[];
  /** Leases the transaction creates (rigs created here): the fence holds them once it commits. */
  created: RigLease[];
}

/** The fence's statements for a write of records of `rigs`. */
export async function fenceStatements(db: StoreClient, fence: WriteFence, rigs: string[]): Promise<FenceStatements> {
  const created: RigLease[] = [];
  const statements: Prisma.PrismaPromise<unknown>[] = [];
  let now: number | null = null;
  for (const rig of rigs) {
    const epoch = fence.epochOf(rig);
    if (epoch !== undefined) {
      statements.push(db.rigLease.update({ where: { rig, owner: fence.node, epoch }, data: { epoch }, select: { rig: true } }));
      continue;
    }
    now ??= await fence.now();
    const lease: RigLease = { rig, owner: fence.node, epoch: 1, expiresAt: now + fence.ttlMs };
    created.push(lease);
    statements.push(db.rigLease.create({ data: lease, select: { rig: true } }));
  }
  return { statements, created };
}

/** After a failed transaction: the FencedError it was, or null when every lease still holds. */
export async function fenceFailure(db: StoreClient, fence: WriteFence, rigs: string[]): Promise<FencedError | null> {
  const rows = await db.rigLease.findMany({ where: { rig: { in: rigs } } });
  const byRig = new Map(rows.map((r) => [r.rig, r]));
  for (const rig of rigs) {
    const epoch = fence.epochOf(rig);
    const row = byRig.get(rig);
    if (epoch === undefined) {
      if (row) return new FencedError(rig, null, `node '${fence.node}' does not hold its lease`);
      continue;
    }
    if (!row || row.owner !== fence.node || row.epoch !== epoch)
      return new FencedError(rig, epoch, `node '${fence.node}' no longer holds its lease at epoch ${epoch}`);
  }
  return null;
}

/** The rig a polecat id (`<rig>/<name>`) belongs to. */
export function rigOfPolecatId(id: string): string {
  const slash = id.indexOf('/');
  return slash < 0 ? id : id.slice(0, slash);
}
