/**
 * Keeps the event log and the audit log bounded: rows older than their retention window
 * (GT_EVENT_RETENTION_DAYS, GT_AUDIT_RETENTION_DAYS) are pruned on a schedule (engine
 * clock), so a town that runs for months keeps constant-size logs. Beads and merge
 * requests are records, not log, and are kept.
 */
import type { Clock } from '../engine/clock';
import type { Logger } from '../engine/context';
import type { TownStore } from '../engine/ports';

export const DEFAULT_EVENT_RETENTION_MS = 7 * 24 * 3_600_000;
/** Audit rows answer "who did that, last quarter?": kept longer than events. */
export const DEFAULT_AUDIT_RETENTION_MS = 90 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 10 * 60_000;

export interface RetentionWindows {
  eventsMs?: number;
  auditMs?: number;
}

export function startEventRetention(store: TownStore, clock: Clock, log: Logger, windows: RetentionWindows = {}): () => void {
  const eventsMs = windows.eventsMs ?? DEFAULT_EVENT_RETENTION_MS;
  const auditMs = windows.auditMs ?? DEFAULT_AUDIT_RETENTION_MS;
  // A prune still running when the next tick comes is not doubled (a large first prune).
  let running = false;
  const pruning = clock.every(PRUNE_EVERY_MS, () => {
    if (running) return;
    running = true;
    const now = clock.now();
    Promise.all([store.pruneEvents(now - eventsMs), store.pruneAudit(now - auditMs)])
      .then(([events, audit]) => {
        if (events > 0) log.info(`pruned ${events} events older than the retention window`);
        if (audit > 0) log.info(`pruned ${audit} audit records older than the retention window`);
      })
      .catch((err: unknown) => log.error('event pruning failed', { error: String(err) }))
      .finally(() => (running = false));
  });
  return () => pruning.stop();
}
