/**
 * Row <-> model mapping for PrismaStore. Rows keep JSON-shaped fields as strings and
 * statuses as plain strings (portable across SQLite and PostgreSQL, no provider-specific
 * Json or enum types); the engine's models keep them typed. Every field is listed by
 * name on purpose: when a model gains a field, the `...FromRow` functions stop compiling
 * instead of silently dropping it.
 */
import type {
  Audit as AuditRow,
  Bead as BeadRow,
  Convoy as ConvoyRow,
  Usage as UsageRow,
  Escalation as EscalationRow,
  Event as EventRow,
  Gate as GateRow,
  MergeRequest as MergeRequestRow,
  Polecat as PolecatRow,
  Rig as RigRow,
} from './generated/client';
import type {
  Bead,
  BeadStatus,
  CheckSpec,
  Convoy,
  UsageRecord,
  ConvoyStatus,
  Escalation,
  EscalationSeverity,
  EscalationStatus,
  Gate,
  GateKind,
  MergeRequest,
  MergeRequestStatus,
  Polecat,
  PolecatHealth,
  PolecatState,
  Rig,
  RigCounters,
  RigSettings,
  RigStatus,
  TownSettings,
} from '../../contracts/records';
import type { DomainEvent } from '../../contracts/events';
import type { AuditRecord, StoredEvent } from '../../contracts/activity';

/** JSON text for a value; `undefined` becomes `null` so the column never holds "undefined". */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export function rigToRow(rig: Rig): RigRow {
  return {
    name: rig.name,
    repoPath: rig.repoPath,
    targetBranch: rig.targetBranch,
    status: rig.status,
    settings: toJson(rig.settings),
    counters: toJson(rig.counters),
    createdAt: rig.createdAt,
    lineage: rig.lineage ? toJson(rig.lineage) : null,
  };
}

export function rigFromRow(row: RigRow): Rig {
  return {
    name: row.name,
    repoPath: row.repoPath,
    targetBranch: row.targetBranch,
    status: row.status as RigStatus,
    settings: rigSettingsFromStored(fromJson(row.settings)),
    counters: rigCountersWithDefaults(fromJson(row.counters)),
    createdAt: row.createdAt,
    lineage: row.lineage ? fromJson(row.lineage) : null,
  };
}

/**
 * A rig's settings as stored. Rows written before the Refinery's validation commands were
 * called checks hold them as `gates`: they read as `checks`, and the next save writes
 * that name (the stored JSON is the settings object, so no migration rewrites it).
 */
export function rigSettingsFromStored(stored: RigSettings & { gates?: CheckSpec[] }): RigSettings {
  const { gates, ...settings } = stored;
  return gates === undefined || settings.checks !== undefined ? settings : { ...settings, checks: gates };
}

/**
 * Counters stored before checks existed lack `rejected`; it reads as 0. Only
 * that counter is defaulted here (shared with MemoryStore so both stores agree).
 */
export function rigCountersWithDefaults(stored: Omit<RigCounters, 'rejected'> & { rejected?: number }): RigCounters {
  return { ...stored, rejected: stored.rejected ?? 0 };
}

/**
 * A polecat's columns are its fields one to one, so both directions share one field list.
 * Rows written before the Witness tracked health got `health` 'ok' and `strikes` 0 from
 * the column defaults when the migration added them.
 */
export function polecatToRow(p: Polecat): PolecatRow {
  return polecatFromRow(p);
}

export function polecatFromRow(row: PolecatRow): Polecat {
  return {
    id: row.id,
    rig: row.rig,
    name: row.name,
    state: row.state as PolecatState,
    beadId: row.beadId,
    branch: row.branch,
    worktreePath: row.worktreePath,
    lastHeartbeatAt: row.lastHeartbeatAt,
    lastProgressAt: row.lastProgressAt,
    stateSince: row.stateSince,
    tokensUsed: row.tokensUsed,
    health: row.health as PolecatHealth,
    strikes: row.strikes,
  };
}

export function beadToRow(bead: Bead): BeadRow {
  return {
    id: bead.id,
    title: bead.title,
    description: bead.description,
    status: bead.status,
    priority: bead.priority,
    labels: toJson(bead.labels),
    dependsOn: toJson(bead.dependsOn),
    issueType: bead.issueType,
    parent: bead.parent,
    related: toJson(bead.related),
    paths: toJson(bead.paths),
    rig: bead.rig,
    assignee: bead.assignee,
    convoyId: bead.convoyId,
    createdAt: bead.createdAt,
    updatedAt: bead.updatedAt,
    closedAt: bead.closedAt,
  };
}

export function beadFromRow(row: BeadRow): Bead {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status as BeadStatus,
    priority: row.priority,
    labels: fromJson(row.labels),
    dependsOn: fromJson(row.dependsOn),
    issueType: row.issueType,
    parent: row.parent,
    related: fromJson(row.related),
    paths: fromJson(row.paths),
    rig: row.rig,
    assignee: row.assignee,
    convoyId: row.convoyId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    closedAt: row.closedAt,
  };
}

export function convoyToRow(c: Convoy): ConvoyRow {
  return {
    id: c.id,
    title: c.title,
    status: c.status,
    beadIds: toJson(c.beadIds),
    createdAt: c.createdAt,
    closedAt: c.closedAt,
    dispatchedAt: c.dispatchedAt,
    waveSize: c.waveSize,
    waves: toJson(c.waves),
  };
}

export function convoyFromRow(row: ConvoyRow): Convoy {
  return {
    id: row.id,
    title: row.title,
    status: row.status as ConvoyStatus,
    beadIds: fromJson(row.beadIds),
    createdAt: row.createdAt,
    closedAt: row.closedAt,
    dispatchedAt: row.dispatchedAt,
    waveSize: row.waveSize,
    waves: fromJson(row.waves),
  };
}

/** The unique key of a usage sum; '' stands for "no convoy" (keys cannot be null). */
export function usageKey(u: UsageRecord): string {
  return [u.day, u.rig, u.polecatId, u.convoyId ?? '', u.model].join('\u0000');
}

export function usageFromRow(row: UsageRow): UsageRecord {
  return {
    day: row.day,
    rig: row.rig,
    polecatId: row.polecatId,
    convoyId: row.convoyId === '' ? null : row.convoyId,
    model: row.model,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    costUsd: row.costUsd,
  };
}

export function mergeRequestToRow(mr: MergeRequest): MergeRequestRow {
  return {
    id: mr.id,
    rig: mr.rig,
    polecatId: mr.polecatId,
    beadId: mr.beadId,
    branch: mr.branch,
    headSha: mr.headSha,
    status: mr.status,
    priority: mr.priority,
    attempts: mr.attempts,
    mergeCommit: mr.mergeCommit,
    conflictFiles: toJson(mr.conflictFiles),
    // The columns keep their first names (failedGate, gateOutput): renaming a column buys nothing.
    failedGate: mr.failedCheck,
    gateOutput: mr.checkOutput,
    checkRuns: toJson(mr.checkRuns),
    enqueuedAt: mr.enqueuedAt,
    updatedAt: mr.updatedAt,
    landedAt: mr.landedAt,
  };
}

export function mergeRequestFromRow(row: MergeRequestRow): MergeRequest {
  return {
    id: row.id,
    rig: row.rig,
    polecatId: row.polecatId,
    beadId: row.beadId,
    branch: row.branch,
    headSha: row.headSha,
    status: row.status as MergeRequestStatus,
    priority: row.priority,
    attempts: row.attempts,
    mergeCommit: row.mergeCommit,
    conflictFiles: fromJson(row.conflictFiles),
    failedCheck: row.failedGate,
    checkOutput: row.gateOutput,
    checkRuns: fromJson(row.checkRuns),
    enqueuedAt: row.enqueuedAt,
    updatedAt: row.updatedAt,
    landedAt: row.landedAt,
  };
}

/** An escalation's columns are its fields one to one, like a polecat's. */
export function escalationToRow(e: Escalation): EscalationRow {
  return escalationFromRow(e);
}

export function escalationFromRow(row: EscalationRow): Escalation {
  return {
    id: row.id,
    severity: row.severity as EscalationSeverity,
    source: row.source,
    reason: row.reason,
    rig: row.rig,
    beadId: row.beadId,
    polecatId: row.polecatId,
    mergeRequestId: row.mergeRequestId,
    status: row.status as EscalationStatus,
    createdAt: row.createdAt,
    escalatedAt: row.escalatedAt,
    acknowledgedBy: row.acknowledgedBy,
    acknowledgedAt: row.acknowledgedAt,
    resolvedBy: row.resolvedBy,
    resolvedAt: row.resolvedAt,
  };
}

export function gateToRow(g: Gate): GateRow {
  return {
    id: g.id,
    kind: g.kind,
    title: g.title,
    status: g.status,
    holds: toJson(g.holds),
    until: g.until,
    beads: toJson(g.beads),
    rig: g.rig,
    convoyId: g.convoyId,
    createdAt: g.createdAt,
    readyAt: g.readyAt,
    openedAt: g.openedAt,
    openedBy: g.openedBy,
  };
}

export function gateFromRow(row: GateRow): Gate {
  return {
    id: row.id,
    kind: row.kind as GateKind,
    title: row.title,
    status: row.status as Gate['status'],
    holds: fromJson(row.holds),
    until: row.until,
    beads: fromJson(row.beads),
    rig: row.rig,
    convoyId: row.convoyId,
    createdAt: row.createdAt,
    readyAt: row.readyAt,
    openedAt: row.openedAt,
    openedBy: row.openedBy,
  };
}

/** The Town row's id: the installation is one row. */
export const TOWN_ID = 'town';
/** The Town row's name, written with the first settings save. */
export const TOWN_NAME = 'Gas Town';

export function townSettingsToJson(settings: TownSettings): string {
  return toJson(settings);
}

export function townSettingsFromJson(text: string): TownSettings {
  return fromJson(text);
}

/** The rig an event concerns, if any: indexed so a rig page can read its own history. */
export function eventRig(event: DomainEvent): string | null {
  return 'rig' in event && typeof event.rig === 'string' ? event.rig : null;
}

export function eventToRow(event: DomainEvent): Omit<EventRow, 'id'> {
  return { at: event.at, type: event.type, rig: eventRig(event), data: toJson(event) };
}

export function eventFromRow(row: EventRow): StoredEvent {
  return { id: row.id, at: row.at, type: row.type, rig: row.rig, data: eventDataFromStored(row.type, fromJson(row.data)) };
}

/** `mr.rejected` events stored before the rename name the failed check `gate`: read as `check`. */
function eventDataFromStored(type: string, data: DomainEvent): DomainEvent {
  if (type !== 'mr.rejected' || typeof data !== 'object' || data === null || !('gate' in data)) return data;
  const { gate, ...rest } = data as unknown as Record<string, unknown>;
  return ('check' in rest ? rest : { ...rest, check: gate }) as unknown as DomainEvent;
}

export function auditToRow(a: AuditRecord): Omit<AuditRow, 'id'> {
  return {
    at: a.at,
    actor: a.actor,
    role: a.role,
    action: a.action,
    input: toJson(a.input),
    ok: a.ok,
    error: a.error,
  };
}

export function auditFromRow(row: AuditRow): AuditRecord {
  return {
    at: row.at,
    actor: row.actor,
    role: row.role,
    action: row.action,
    input: fromJson(row.input),
    ok: row.ok,
    error: row.error,
  };
}
