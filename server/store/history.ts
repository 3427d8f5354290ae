/**
 * What both stores treat as history rather than live town state. `loadTown` leaves these
 * out so a restart reloads only what is still in play (and start-up cost stays bounded
 * however long the town has run); they remain queryable (listBeads, getBead,
 * listMergeRequests, listEscalations, listGates, listEvents).
 * One definition shared by PrismaStore and MemoryStore so the two cannot drift.
 */
import type { BeadStatus, ConvoyStatus, EscalationStatus, Gate, MergeRequestStatus } from '../../contracts/records';

export const FINISHED_BEAD_STATUSES: readonly BeadStatus[] = ['done', 'closed'];
export const FINISHED_CONVOY_STATUSES: readonly ConvoyStatus[] = ['landed', 'closed'];
/** Escalated requests wait on a person, not the Refinery: the escalation is what stays live. */
export const FINISHED_MR_STATUSES: readonly MergeRequestStatus[] = ['merged', 'abandoned', 'escalated'];
export const FINISHED_ESCALATION_STATUSES: readonly EscalationStatus[] = ['resolved'];
/** An open gate has released its beads: only waiting gates are live. */
export const FINISHED_GATE_STATUSES: readonly Gate['status'][] = ['open', 'cancelled'];

/** Caps a caller's limit to a non-negative integer (Prisma reads a negative `take` as "from the end"). */
export function normalizeLimit(limit: number | undefined): number | undefined {
  return limit === undefined ? undefined : Math.max(0, Math.floor(limit));
}
