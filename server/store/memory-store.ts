/**
 * TownStore in memory, for engine tests and simulations that need no database. It
 * behaves like PrismaStore (same filters, same order, same history rules; the
 * conformance suite runs both) and copies every record in and out, so a caller mutating
 * a model after saving it, or a loaded model, cannot change what is stored: the same
 * guarantee a database gives for free.
 */
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
import type { BeadQuery, EventQuery, RecordChange, TownState, TownStore } from '../engine/ports';
import { eventRig, rigCountersWithDefaults, usageKey } from './mapping';
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

/** Copies through JSON, like a round trip through the database's JSON columns would. */
function copy<T>(value: T): T {
  return value === undefined ? (null as T) : (JSON.parse(JSON.stringify(value)) as T);
}

/** Numbers ascending, then ids ascending: the stores' stable order. */
function byThenId<T>(key: (t: T) => number, id: (t: T) => string | number, dir: 1 | -1) {
  return (a: T, b: T): number => {
    const d = key(a) - key(b);
    if (d !== 0) return d * dir;
    const ia = id(a);
    const ib = id(b);
    return (ia < ib ? -1 : ia > ib ? 1 : 0) * dir;
  };
}

function take<T>(items: T[], limit: number | undefined): T[] {
  const n = normalizeLimit(limit);
  return n === undefined ? items : items.slice(0, n);
}

export class MemoryStore implements TownStore {
  private readonly rigs = new Map<string, Rig>();
  private readonly polecats = new Map<string, Polecat>();
  private readonly beads = new Map<string, Bead>();
  private readonly convoys = new Map<string, Convoy>();
  private readonly mergeRequests = new Map<string, MergeRequest>();
  private readonly escalations = new Map<string, Escalation>();
  private readonly gates = new Map<string, Gate>();
  private readonly usage = new Map<string, UsageRecord>();
  private settings: TownSettings | null = null;
  private events: StoredEvent[] = [];
  private readonly audit: (AuditRecord & { id: number })[] = [];
  private nextEventId = 1;
  private nextAuditId = 1;

  async loadTown(): Promise<TownState> {
    const byId = <T extends { id: string }>(x: T): string => x.id;
    return copy({
      rigs: [...this.rigs.values()]
        .sort(
          byThenId(
            (r) => r.createdAt,
            (r) => r.name,
            1,
          ),
        )
        .map((r) => ({ ...r, counters: rigCountersWithDefaults(r.counters) })),
      polecats: [...this.polecats.values()].sort(byThenId(() => 0, byId, 1)),
      beads: [...this.beads.values()]
        .filter((b) => !FINISHED_BEAD_STATUSES.includes(b.status))
        .sort(byThenId((b) => b.createdAt, byId, 1)),
      convoys: [...this.convoys.values()]
        .filter((c) => !FINISHED_CONVOY_STATUSES.includes(c.status))
        .sort(byThenId((c) => c.createdAt, byId, 1)),
      mergeRequests: [...this.mergeRequests.values()]
        .filter((m) => !FINISHED_MR_STATUSES.includes(m.status))
        .sort(byThenId((m) => m.enqueuedAt, byId, 1)),
      escalations: [...this.escalations.values()]
        .filter((e) => !FINISHED_ESCALATION_STATUSES.includes(e.status))
        .sort(byThenId((e) => e.createdAt, byId, 1)),
      gates: [...this.gates.values()]
        .filter((g) => !FINISHED_GATE_STATUSES.includes(g.status))
        .sort(byThenId((g) => g.createdAt, byId, 1)),
      settings: this.settings,
    });
  }

  async saveRig(rig: Rig): Promise<void> {
    this.rigs.set(rig.name, copy(rig));
  }

  async savePolecat(polecat: Polecat): Promise<void> {
    this.polecats.set(polecat.id, copy(polecat));
  }

  async deletePolecat(id: string): Promise<void> {
    this.polecats.delete(id);
  }

  async saveAll(change: RecordChange): Promise<void> {
    for (const rig of change.rigs ?? []) this.rigs.set(rig.name, copy(rig));
    for (const polecat of change.polecats ?? []) this.polecats.set(polecat.id, copy(polecat));
    for (const id of change.deletedPolecats ?? []) this.polecats.delete(id);
    for (const bead of change.beads ?? []) this.beads.set(bead.id, copy(bead));
    for (const convoy of change.convoys ?? []) this.convoys.set(convoy.id, copy(convoy));
    for (const mr of change.mergeRequests ?? []) this.mergeRequests.set(mr.id, copy(mr));
  }

  async saveBead(bead: Bead): Promise<void> {
    this.beads.set(bead.id, copy(bead));
  }

  async saveConvoy(convoy: Convoy): Promise<void> {
    this.convoys.set(convoy.id, copy(convoy));
  }

  async saveMergeRequest(mr: MergeRequest): Promise<void> {
    this.mergeRequests.set(mr.id, copy(mr));
  }

  async saveEscalation(escalation: Escalation): Promise<void> {
    this.escalations.set(escalation.id, copy(escalation));
  }

  async saveGate(gate: Gate): Promise<void> {
    this.gates.set(gate.id, copy(gate));
  }

  async listGates(query: GateQuery): Promise<Gate[]> {
    const matches = [...this.gates.values()].filter((g) => !query.status || query.status.includes(g.status));
    return copy(
      take(
        matches.sort(
          byThenId(
            (g) => g.createdAt,
            (g) => g.id,
            -1,
          ),
        ),
        query.limit,
      ),
    );
  }

  async saveTownSettings(settings: TownSettings): Promise<void> {
    this.settings = copy(settings);
  }

  async addUsage(records: UsageRecord[]): Promise<void> {
    for (const u of records) {
      const key = usageKey(u);
      const sum = this.usage.get(key);
      if (!sum) this.usage.set(key, copy(u));
      else {
        sum.inputTokens += u.inputTokens;
        sum.outputTokens += u.outputTokens;
        if (u.costUsd !== null) sum.costUsd = (sum.costUsd ?? 0) + u.costUsd;
      }
    }
  }

  async listUsage(query: { since?: string }): Promise<UsageRecord[]> {
    return copy(
      [...this.usage.values()].filter((u) => !query.since || u.day >= query.since).sort((a, b) => a.day.localeCompare(b.day)),
    );
  }

  async listConvoys(query: { status?: Convoy['status'][]; limit?: number }): Promise<Convoy[]> {
    const matches = [...this.convoys.values()].filter((c) => !query.status || query.status.includes(c.status));
    return copy(
      take(
        matches.sort(
          byThenId(
            (c) => c.createdAt,
            (c) => c.id,
            -1,
          ),
        ),
        query.limit,
      ),
    );
  }

  async getConvoy(id: string): Promise<Convoy | null> {
    const c = this.convoys.get(id);
    return c ? copy(c) : null;
  }

  async listEscalations(query: EscalationQuery): Promise<Escalation[]> {
    const matches = [...this.escalations.values()].filter((e) => !query.status || query.status.includes(e.status));
    return copy(
      take(
        matches.sort(
          byThenId(
            (e) => e.createdAt,
            (e) => e.id,
            -1,
          ),
        ),
        query.limit,
      ),
    );
  }

  async listMergeRequests(query: MergeRequestQuery): Promise<MergeRequest[]> {
    const matches = [...this.mergeRequests.values()].filter(
      (m) =>
        (query.rig === undefined || m.rig === query.rig) &&
        (!query.status || query.status.includes(m.status)) &&
        (query.since === undefined || m.updatedAt >= query.since) &&
        (!query.beadIds || query.beadIds.includes(m.beadId)) &&
        (!query.ids || query.ids.includes(m.id)),
    );
    return copy(
      take(
        matches.sort(
          byThenId(
            (m) => m.updatedAt,
            (m) => m.id,
            -1,
          ),
        ),
        query.limit,
      ),
    );
  }

  async appendEvents(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      this.events.push({ id: this.nextEventId++, at: event.at, type: event.type, rig: eventRig(event), data: copy(event) });
    }
  }

  async appendAudit(record: AuditRecord): Promise<void> {
    this.audit.push({ ...copy(record), input: copy(record.input), id: this.nextAuditId++ });
  }

  async listBeads(query: BeadQuery): Promise<Bead[]> {
    const ids = query.ids && new Set(query.ids);
    const matches = [...this.beads.values()].filter(
      (b) =>
        (!ids || ids.has(b.id)) &&
        (!query.status || query.status.includes(b.status)) &&
        (query.rig === undefined || b.rig === query.rig) &&
        (query.since === undefined || beadTime(b) >= query.since),
    );
    return copy(
      take(
        matches.sort(
          byThenId(
            (b) => b.updatedAt,
            (b) => b.id,
            -1,
          ),
        ),
        query.limit,
      ),
    );
  }

  async getBead(id: string): Promise<Bead | null> {
    const bead = this.beads.get(id);
    return bead ? copy(bead) : null;
  }

  async listEvents(query: EventQuery): Promise<StoredEvent[]> {
    const afterCursor = listedAfter(query.before, this.events);
    const matches = this.events.filter(
      (e) =>
        (!query.types || query.types.includes(e.type)) &&
        (query.rig === undefined || e.rig === query.rig) &&
        (query.since === undefined || e.at >= query.since) &&
        afterCursor(e),
    );
    return copy(
      take(
        matches.sort(
          byThenId(
            (e) => e.at,
            (e) => e.id,
            -1,
          ),
        ),
        query.limit,
      ),
    );
  }

  async listAudit(limit: number, before?: number): Promise<AuditEntry[]> {
    const sorted = this.audit.filter(listedAfter(before, this.audit)).sort(
      byThenId(
        (a) => a.at,
        (a) => a.id,
        -1,
      ),
    );
    return take(sorted, limit).map((record) => copy(record));
  }

  async pruneAudit(before: number): Promise<number> {
    const total = this.audit.length;
    let kept = 0;
    for (const a of this.audit) if (a.at >= before) this.audit[kept++] = a;
    this.audit.length = kept;
    return total - kept;
  }

  async pruneEvents(before: number): Promise<number> {
    const kept = this.events.filter((e) => e.at >= before);
    const pruned = this.events.length - kept.length;
    this.events = kept;
    return pruned;
  }

  async close(): Promise<void> {}
}

/**
 * Which rows are listed after the row with id `cursor` (newest first by at, then id);
 * every row when there is no cursor. Mirrors PrismaStore's olderThan.
 */
function listedAfter(
  cursor: number | undefined,
  rows: Array<{ at: number; id: number }>,
): (row: { at: number; id: number }) => boolean {
  if (cursor === undefined) return () => true;
  const at = rows.find((r) => r.id === cursor)?.at;
  if (at === undefined) return (row) => row.id < cursor;
  return (row) => row.at < at || (row.at === at && row.id < cursor);
}

/** The time `since` is compared with; mirrors PrismaStore's sinceClause. */
function beadTime(b: Bead): number {
  return FINISHED_BEAD_STATUSES.includes(b.status) && b.closedAt !== null ? b.closedAt : b.updatedAt;
}
