/**
 * Keeps the event log bounded: events older than the retention window are pruned on a
 * schedule (engine clock), so a town that runs for months keeps a constant-size log.
 * Beads and merge requests are records, not log, and are kept.
 */
import type { Clock } from '../engine/clock';
import type { Logger } from '../engine/context';
import type { TownStore } from '../engine/ports';

export const DEFAULT_EVENT_RETENTION_MS = 7 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 10 * 60_000;

export function startEventRetention(
  store: TownStore,
  clock: Clock,
  log: Logger,
  retentionMs = DEFAULT_EVENT_RETENTION_MS,
): () => void {
  // A prune still running when the next tick comes is not doubled (a large first prune).
  let running = false;
  const pruning = clock.every(PRUNE_EVERY_MS, () => {
    if (running) return;
    running = true;
    store
      .pruneEvents(clock.now() - retentionMs)
      .then((n) => n > 0 && log.info(`pruned ${n} events older than the retention window`))
      .catch((err: unknown) => log.error('event pruning failed', { error: String(err) }))
      .finally(() => (running = false));
  });
  return () => pruning.stop();
}
