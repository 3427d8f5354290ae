/**
 * LeasePort on Prisma: nodes and rig leases in the shared database, with portable queries
 * only (compare-and-swap `updateMany` on the epoch, unique-key creates, count checks), so
 * the same class runs on SQLite now and on PostgreSQL through @prisma/adapter-pg.
 *
 * The lease rules are engine/lease.ts; this file reads a row, asks them, and writes the
 * answer only if the row still holds the epoch it read (`updateMany where { rig, epoch }`,
 * count 0: somebody else moved first, the caller lost the race).
 */
import type { StoreClient } from './client';
import type { StoreDatabase } from './database';
import { leaseTransition, type LeaseEvent } from '../engine/lease';
import { LEADER_LEASE } from '../engine/leadership';
import type { LeasePort, NodeRecord, RigLease } from '../engine/ports';

/** The database's clock. */
export type DatabaseClock = () => Promise<number>;

/**
 * SQLite's clock: the database is a file this process opens, so "the database's clock"
 * is this machine's. (Nodes sharing a SQLite file share a machine.) A PostgreSQL adapter
 * answers with `SELECT now()` instead, the one clock all nodes' leases are compared on.
 */
export const sqliteClock: DatabaseClock = async () => Date.now();

/** PostgreSQL's clock, read on the server all nodes share (clock_timestamp: not the transaction's start). */
export function postgresClock(client: StoreClient): DatabaseClock {
  return async () => {
    const [row] = await client.$queryRaw<{ ms: number }[]>`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`;
    return Number(row.ms);
  };
}

/** The clock leases are compared on, for the database the town uses. */
export function databaseClock(database: StoreDatabase): DatabaseClock {
  return database.provider === 'postgresql' ? postgresClock(database.client) : sqliteClock;
}

export class PrismaLeases implements LeasePort {
  constructor(
    private readonly prisma: StoreClient,
    private readonly clock: DatabaseClock = sqliteClock,
  ) {}

  now(): Promise<number> {
    return this.clock();
  }

  async heartbeat(node: Omit<NodeRecord, 'heartbeatAt'>): Promise<number> {
    const at = await this.now();
    const row = {
      url: node.url,
      startedAt: node.startedAt,
      heartbeatAt: at,
      ttlMs: node.ttlMs,
      ...(node.rigMetrics !== undefined ? { rigMetrics: node.rigMetrics } : {}),
    };
    await this.prisma.node.upsert({
      where: { name: node.name },
      create: { name: node.name, ...row },
      update: row,
      select: { name: true },
    });
    return at;
  }

  async listNodes(): Promise<NodeRecord[]> {
    return this.prisma.node.findMany({ orderBy: { name: 'asc' } });
  }

  /** The rigs' leases (not the leader's). */
  async listLeases(): Promise<RigLease[]> {
    return this.prisma.rigLease.findMany({ where: { rig: { not: LEADER_LEASE } }, orderBy: { rig: 'asc' } });
  }

  /** The leader lease's row (engine/leadership.ts), null before any node claimed it. */
  leader(): Promise<RigLease | null> {
    return this.prisma.rigLease.findUnique({ where: { rig: LEADER_LEASE } });
  }

  /** Names of every stored rig (each wants an owner), in name order. */
  async rigNames(): Promise<string[]> {
    const rows = await this.prisma.rig.findMany({ select: { name: true }, orderBy: { name: 'asc' } });
    return rows.map((r) => r.name);
  }

  /** Polecats per stored rig (where new rigs go: cluster/placement.ts). */
  async polecatsByRig(): Promise<Record<string, number>> {
    const rows = await this.prisma.polecat.groupBy({ by: ['rig'], _count: { _all: true } });
    return Object.fromEntries(rows.map((r) => [r.rig, r._count._all]));
  }

  claim(rig: string, node: string, ttlMs: number): Promise<RigLease | null> {
    return this.apply(rig, { type: 'claim', node }, ttlMs);
  }

  renew(rig: string, node: string, epoch: number, ttlMs: number): Promise<RigLease | null> {
    return this.apply(rig, { type: 'renew', node, epoch }, ttlMs);
  }

  async release(rig: string, node: string, epoch: number): Promise<boolean> {
    return (await this.apply(rig, { type: 'release', node, epoch }, 0)) !== null;
  }

  async hand(rig: string, node: string, epoch: number, to: string, ttlMs: number): Promise<boolean> {
    return (await this.apply(rig, { type: 'hand', node, epoch, to }, ttlMs)) !== null;
  }

  /** Read, decide, compare-and-swap: the new lease, or null when refused or beaten to it. */
  private async apply(rig: string, event: LeaseEvent, ttlMs: number): Promise<RigLease | null> {
    const now = await this.now();
    const current = await this.prisma.rigLease.findUnique({ where: { rig } });
    const decision = leaseTransition(current, event, rig, now, ttlMs);
    if (!decision.ok) return null;
    const next = decision.next;
    if (!current) {
      // First claim: the primary key makes a racing second create fail, and that node lost.
      try {
        await this.prisma.rigLease.create({ data: next, select: { rig: true } });
        return next;
      } catch (err) {
        if (isUniqueViolation(err)) return null;
        throw err;
      }
    }
    const { count } = await this.prisma.rigLease.updateMany({
      where: { rig, epoch: current.epoch, owner: current.owner },
      data: { owner: next.owner, epoch: next.epoch, expiresAt: next.expiresAt },
    });
    return count === 1 ? next : null;
  }
}

/** Prisma's "unique constraint failed" (P2002), on every provider. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === 'P2002';
}
