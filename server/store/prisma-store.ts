/**
 * TownStore on Prisma: the persisted truth the engine writes through to and reloads from.
 * Only portable Prisma queries here (no raw SQL), so the same class runs on SQLite and on
 * PostgreSQL (a StoreClient, see client.ts); connection tuning lives in the factories
 * (sqlite.ts, postgres.ts). The store owns the client it is given: close() disconnects it.
 *
 * Ordering: lists come back in a stable order so restarts and both store
 * implementations agree (see the conformance suite): town state in creation order,
 * queries newest first, ties broken by id.
 */
import type { Prisma } from './generated/client';
import type { StoreClient } from './client';
import type {
  Bead,
  Convoy,
  Escalation,
  Gate,
  MergeRequest,
  Polecat,
  Rig,
  TownSettings,
  UsageRecord,
} from '../../contracts/records';
import type { DomainEvent } from '../../contracts/events';
import type { AuditEntry, AuditRecord, StoredEvent } from '../../contracts/activity';
import type { BeadQuery, EventQuery, RecordChange, TownState, TownStore, WriteFence } from '../engine/ports';
import { fenceFailure, fenceStatements, rigOfPolecatId } from './fence';
import {
  auditFromRow,
  auditToRow,
  beadFromRow,
  beadToRow,
  convoyFromRow,
  convoyToRow,
  escalationFromRow,
  escalationToRow,
  eventFromRow,
  eventToRow,
  gateFromRow,
  gateToRow,
  mergeRequestFromRow,
  mergeRequestToRow,
  polecatFromRow,
  polecatToRow,
  rigFromRow,
  rigToRow,
  TOWN_ID,
  TOWN_NAME,
  usageFromRow,
  townSettingsFromJson,
  townSettingsToJson,
} from './mapping';
import {
  FINISHED_BEAD_STATUSES,
  FINISHED_CONVOY_STATUSES,
  FINISHED_ESCALATION_STATUSES,
  FINISHED_GATE_STATUSES,
  FINISHED_MR_STATUSES,
  normalizeLimit,
} from './history';

type EscalationQuery = Parameters<TownStore['listEscalations']>[0];
type MergeRequestQuery = Parameters<TownStore['listMergeRequests']>[0];
type GateQuery = Parameters<TownStore['listGates']>[0];

/**
 * Upserts return only the key: the store never reads the row back, and trimming the
 * RETURNING list saves about 15% of an upsert's cost (Prisma's per-query JS work, about
 * 1.5 ms, dwarfs SQLite's 0.02 ms).
 */
const ID = { id: true } as const;

/** Ids per query when listing beads by id (under SQLite's 999 parameters, with room for the rest). */
const IDS_PER_QUERY = 500;

/** A client or an interactive transaction's client: what a write is made through. */
type Db = StoreClient;

export interface PrismaStoreOptions {
  /**
   * Cluster mode (docs/cluster.md): rig-scoped writes (rigs, polecats, beads, merge
   * requests) check this node's lease epoch in their transaction and are refused with
   * FencedError when it is stale. Absent (one server): written as they are, no lease reads.
   */
  fence?: WriteFence;
}

export class PrismaStore implements TownStore {
  private readonly fence: WriteFence | null;

  constructor(
    private readonly prisma: StoreClient,
    options: PrismaStoreOptions = {},
  ) {
    this.fence = options.fence ?? null;
  }

  /**
   * Runs `write` for records of `rigs`: unfenced, as it is (one statement or a batch
   * transaction, as before clusters); fenced, in one batch transaction opened by the lease
   * checks (store/fence.ts), so a stale owner's write changes nothing.
   */
  private async rigScoped(rigs: string[], write: (db: Db) => Prisma.PrismaPromise<unknown>[]): Promise<void> {
    const fence = this.fence;
    if (!fence) {
      const ops = write(this.prisma);
      if (ops.length === 1) await ops[0];
      else await this.prisma.$transaction(ops);
      return;
    }
    const touched = [...new Set(rigs)];
    const { statements, created } = await fenceStatements(this.prisma, fence, touched);
    try {
      await this.prisma.$transaction([...statements, ...write(this.prisma)]);
    } catch (err) {
      throw (await fenceFailure(this.prisma, fence, touched)) ?? err;
    }
    for (const lease of created) fence.created(lease);
  }

  async loadTown(): Promise<TownState> {
    const [rigs, polecats, beads, convoys, mergeRequests, escalations, gates, town] = await Promise.all([
      this.prisma.rig.findMany({ orderBy: [{ createdAt: 'asc' }, { name: 'asc' }] }),
      this.prisma.polecat.findMany({ orderBy: { id: 'asc' } }),
      this.prisma.bead.findMany({
        where: { status: { notIn: [...FINISHED_BEAD_STATUSES] } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      }),
      this.prisma.convoy.findMany({
        where: { status: { notIn: [...FINISHED_CONVOY_STATUSES] } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      }),
      this.prisma.mergeRequest.findMany({
        where: { status: { notIn: [...FINISHED_MR_STATUSES] } },
        orderBy: [{ enqueuedAt: 'asc' }, { id: 'asc' }],
      }),
      this.prisma.escalation.findMany({
        where: { status: { notIn: [...FINISHED_ESCALATION_STATUSES] } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      }),
      this.prisma.gate.findMany({
        where: { status: { notIn: [...FINISHED_GATE_STATUSES] } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      }),
      this.prisma.town.findUnique({ where: { id: TOWN_ID }, select: { settings: true } }),
    ]);
    return {
      rigs: rigs.map(rigFromRow),
      polecats: polecats.map(polecatFromRow),
      beads: beads.map(beadFromRow),
      convoys: convoys.map(convoyFromRow),
      mergeRequests: mergeRequests.map(mergeRequestFromRow),
      escalations: escalations.map(escalationFromRow),
      gates: gates.map(gateFromRow),
      settings: town ? townSettingsFromJson(town.settings) : null,
    };
  }

  async saveRig(rig: Rig): Promise<void> {
    const row = rigToRow(rig);
    await this.rigScoped([rig.name], (db) => [
      db.rig.upsert({ where: { name: row.name }, create: row, update: row, select: { name: true } }),
    ]);
  }

  async savePolecat(polecat: Polecat): Promise<void> {
    const row = polecatToRow(polecat);
    await this.rigScoped([polecat.rig], (db) => [
      db.polecat.upsert({ where: { id: row.id }, create: row, update: row, select: ID }),
    ]);
  }

  async deletePolecat(id: string): Promise<void> {
    // deleteMany: deleting an already-removed polecat is not an error.
    await this.rigScoped([rigOfPolecatId(id)], (db) => [db.polecat.deleteMany({ where: { id } })]);
  }

  async saveAll(change: RecordChange): Promise<void> {
    const { rigs = [], polecats = [], deletedPolecats = [], beads = [], convoys = [], mergeRequests = [] } = change;
    // Convoys are town-wide (the Mayor's), not a rig's: they carry no lease of their own.
    const touched = [
      ...rigs.map((r) => r.name),
      ...polecats.map((p) => p.rig),
      ...deletedPolecats.map(rigOfPolecatId),
      ...beads.map((b) => b.rig),
      ...mergeRequests.map((mr) => mr.rig),
    ];
    await this.rigScoped(touched, (db) => [
      ...rigs
        .map(rigToRow)
        .map((row) => db.rig.upsert({ where: { name: row.name }, create: row, update: row, select: { name: true } })),
      ...polecats
        .map(polecatToRow)
        .map((row) => db.polecat.upsert({ where: { id: row.id }, create: row, update: row, select: ID })),
      ...(deletedPolecats.length > 0 ? [db.polecat.deleteMany({ where: { id: { in: deletedPolecats } } })] : []),
      ...beads.map(beadToRow).map((row) => db.bead.upsert({ where: { id: row.id }, create: row, update: row, select: ID })),
      ...convoys.map(convoyToRow).map((row) => db.convoy.upsert({ where: { id: row.id }, create: row, update: row, select: ID })),
      ...mergeRequests
        .map(mergeRequestToRow)
        .map((row) => db.mergeRequest.upsert({ where: { id: row.id }, create: row, update: row, select: ID })),
    ]);
  }

  async saveBead(bead: Bead): Promise<void> {
    const row = beadToRow(bead);
    await this.rigScoped([bead.rig], (db) => [db.bead.upsert({ where: { id: row.id }, create: row, update: row, select: ID })]);
  }

  async saveConvoy(convoy: Convoy): Promise<void> {
    const row = convoyToRow(convoy);
    await this.prisma.convoy.upsert({ where: { id: row.id }, create: row, update: row, select: ID });
  }

  async saveMergeRequest(mr: MergeRequest): Promise<void> {
    const row = mergeRequestToRow(mr);
    await this.rigScoped([mr.rig], (db) => [
      db.mergeRequest.upsert({ where: { id: row.id }, create: row, update: row, select: ID }),
    ]);
  }

  async saveEscalation(escalation: Escalation): Promise<void> {
    const row = escalationToRow(escalation);
    await this.prisma.escalation.upsert({ where: { id: row.id }, create: row, update: row, select: ID });
  }

  async saveGate(gate: Gate): Promise<void> {
    const row = gateToRow(gate);
    await this.prisma.gate.upsert({ where: { id: row.id }, create: row, update: row, select: ID });
  }

  async listGates(query: GateQuery): Promise<Gate[]> {
    const rows = await this.prisma.gate.findMany({
      where: query.status ? { status: { in: query.status } } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: normalizeLimit(query.limit),
    });
    return rows.map(gateFromRow);
  }

  /** The Town row is created by the first save (its createdAt is then); later saves change only the settings. */
  async saveTownSettings(settings: TownSettings): Promise<void> {
    const json = townSettingsToJson(settings);
    await this.prisma.town.upsert({
      where: { id: TOWN_ID },
      create: { id: TOWN_ID, name: TOWN_NAME, createdAt: Date.now(), settings: json },
      update: { settings: json },
      select: ID,
    });
  }

  async addUsage(records: UsageRecord[]): Promise<void> {
    // One transaction per batch: a usage report is never half-counted.
    await this.prisma.$transaction(
      records.map((u) => {
        const key = { day: u.day, rig: u.rig, polecatId: u.polecatId, convoyId: u.convoyId ?? '', model: u.model };
        return this.prisma.usage.upsert({
          where: { day_rig_polecatId_convoyId_model: key },
          create: { ...key, inputTokens: u.inputTokens, outputTokens: u.outputTokens, costUsd: u.costUsd },
          update: {
            inputTokens: { increment: u.inputTokens },
            outputTokens: { increment: u.outputTokens },
            ...(u.costUsd === null ? {} : { costUsd: { increment: u.costUsd } }),
          },
          select: ID,
        });
      }),
    );
  }

  async listUsage(query: { since?: string }): Promise<UsageRecord[]> {
    const rows = await this.prisma.usage.findMany({
      where: query.since ? { day: { gte: query.since } } : {},
      orderBy: [{ day: 'asc' }, { id: 'asc' }],
    });
    return rows.map(usageFromRow);
  }

  async listConvoys(query: { status?: Convoy['status'][]; limit?: number }): Promise<Convoy[]> {
    const rows = await this.prisma.convoy.findMany({
      where: query.status ? { status: { in: query.status } } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: normalizeLimit(query.limit),
    });
    return rows.map(convoyFromRow);
  }

  async getConvoy(id: string): Promise<Convoy | null> {
    const row = await this.prisma.convoy.findUnique({ where: { id } });
    return row ? convoyFromRow(row) : null;
  }

  async listEscalations(query: EscalationQuery): Promise<Escalation[]> {
    const rows = await this.prisma.escalation.findMany({
      where: query.status ? { status: { in: query.status } } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: normalizeLimit(query.limit),
    });
    return rows.map(escalationFromRow);
  }

  async listMergeRequests(query: MergeRequestQuery): Promise<MergeRequest[]> {
    const where: Prisma.MergeRequestWhereInput = {};
    if (query.rig !== undefined) where.rig = query.rig;
    if (query.status) where.status = { in: query.status };
    if (query.since !== undefined) where.updatedAt = { gte: query.since };
    if (query.beadIds) where.beadId = { in: query.beadIds };
    if (query.ids) where.id = { in: query.ids };
    const rows = await this.prisma.mergeRequest.findMany({
      where,
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: normalizeLimit(query.limit),
    });
    return rows.map(mergeRequestFromRow);
  }

  /** One INSERT for the whole batch: the engine flushes events in batches, not one by one. */
  async appendEvents(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.prisma.event.createMany({ data: events.map(eventToRow) });
  }

  async appendAudit(record: AuditRecord): Promise<void> {
    await this.prisma.audit.create({ data: auditToRow(record) });
  }

  async listBeads(query: BeadQuery): Promise<Bead[]> {
    // SQLite through the driver adapter takes at most 999 parameters: many ids go in slices.
    if (query.ids && query.ids.length > IDS_PER_QUERY) {
      const slices: Bead[][] = [];
      for (let i = 0; i < query.ids.length; i += IDS_PER_QUERY)
        slices.push(await this.listBeads({ ...query, ids: query.ids.slice(i, i + IDS_PER_QUERY), limit: undefined }));
      const all = slices.flat().sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      return query.limit === undefined ? all : all.slice(0, normalizeLimit(query.limit));
    }
    const and: Prisma.BeadWhereInput[] = [];
    if (query.ids) and.push({ id: { in: query.ids } });
    if (query.status) and.push({ status: { in: query.status } });
    if (query.rig !== undefined) and.push({ rig: query.rig });
    if (query.since !== undefined) and.push(sinceClause(query.since));
    const rows = await this.prisma.bead.findMany({
      where: { AND: and },
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: normalizeLimit(query.limit),
    });
    return rows.map(beadFromRow);
  }

  async getBead(id: string): Promise<Bead | null> {
    const row = await this.prisma.bead.findUnique({ where: { id } });
    return row ? beadFromRow(row) : null;
  }

  async listEvents(query: EventQuery): Promise<StoredEvent[]> {
    const where: Prisma.EventWhereInput = {};
    if (query.types) where.type = { in: query.types };
    if (query.rig !== undefined) where.rig = query.rig;
    if (query.since !== undefined) where.at = { gte: query.since };
    if (query.before !== undefined) {
      const row = await this.prisma.event.findUnique({ where: { id: query.before }, select: { at: true } });
      where.AND = [olderThan(query.before, row?.at)];
    }
    const rows = await this.prisma.event.findMany({
      where,
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: normalizeLimit(query.limit),
    });
    return rows.map(eventFromRow);
  }

  async listAudit(limit: number, before?: number): Promise<AuditEntry[]> {
    let where: Prisma.AuditWhereInput = {};
    if (before !== undefined) {
      const row = await this.prisma.audit.findUnique({ where: { id: before }, select: { at: true } });
      where = olderThan(before, row?.at);
    }
    const rows = await this.prisma.audit.findMany({
      where,
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: normalizeLimit(limit),
    });
    return rows.map((row) => ({ ...auditFromRow(row), id: row.id }));
  }

  async pruneEvents(before: number): Promise<number> {
    const { count } = await this.prisma.event.deleteMany({ where: { at: { lt: before } } });
    return count;
  }

  async pruneAudit(before: number): Promise<number> {
    const { count } = await this.prisma.audit.deleteMany({ where: { at: { lt: before } } });
    return count;
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

/**
 * Rows after the cursor row (`id`, listed at `at`) in newest-first (at, id) order; when the
 * cursor row is gone (pruned), the rows with smaller ids.
 */
function olderThan(id: number, at: number | undefined): { OR: object[] } | { id: { lt: number } } {
  if (at === undefined) return { id: { lt: id } };
  return { OR: [{ at: { lt: at } }, { at, id: { lt: id } }] };
}

/**
 * `since` for beads: live beads count from their last update, finished ones from when
 * they closed (so "done since 9:00" is not fooled by a later relabel); a finished bead
 * with no closedAt falls back to its last update.
 */
function sinceClause(since: number): Prisma.BeadWhereInput {
  const finished = [...FINISHED_BEAD_STATUSES];
  return {
    OR: [
      { status: { notIn: finished }, updatedAt: { gte: since } },
      { status: { in: finished }, closedAt: { gte: since } },
      { status: { in: finished }, closedAt: null, updatedAt: { gte: since } },
    ],
  };
}
