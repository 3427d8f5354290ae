/**
 * The town's history as the activity page and `gt` read it: stored domain events (with
 * their store ids) and the audit log of operator actions, accepted and refused.
 */
import type { DomainEvent } from './events';

/** One operator action: who asked for what, with which input, and whether it was done. */
export interface AuditRecord {
  at: number;
  actor: string;
  role: string;
  action: string;
  input: unknown;
  ok: boolean;
  error: string | null;
}

/** An audit record as listed: with its id, the cursor of the next page (`before`). */
export interface AuditEntry extends AuditRecord {
  id: number;
}

/** A domain event as the store keeps it: numbered, with its rig (if any) for filtering. */
export interface StoredEvent {
  id: number;
  at: number;
  type: string;
  rig: string | null;
  data: DomainEvent;
}
