/**
 * Write-through to the store, in order. All writes go through one SerialQueue so a
 * record's saves land in the order they were made (SQLite has one writer anyway).
 * Events are the history, not the state: they are appended in batches, at most
 * EVENT_BATCH_MS after they happened, because a busy town emits dozens a second and every
 * append is a query and a transaction (Prisma 6 compiles each query on the event loop).
 * A crash can lose that last fraction of a second of history, never a record's state.
 *
 * Fail-stop. Input is checked before it reaches the engine (contracts/text.ts), so a
 * state write the store refuses means the store itself is failing (disk full, the file
 * gone, a bug). From the first such failure nothing more is written: the database keeps
 * the last consistent state (each write is one record or one transaction), the town
 * stops working and refuses commands with 503 `unavailable` (`failure`), and a restart
 * reloads it from the database, so memory equals disk again. Why not roll the memory
 * back instead: a split or a merge changes roles, queues and polecats in memory, and
 * every write queued after the failed one builds on it; undoing all that is code that
 * only runs on a failing disk, where taking more commands would only widen the gap.
 * History (events, the audit log) is not state: a refused history write is logged and
 * counted but stops nothing.
 *
 * Fenced writes (cluster mode, docs/cluster.md) are not a failing store either: the
 * write was refused because another node owns the rig now. Nothing stops; the listeners
 * (the node's Ownership) hear which rig, and detach it.
 */
import { EngineError, isFenced, type FencedError } from './errors';
import type { DomainEvent } from '../../contracts/events';
import type { Clock, TimerHandle } from './clock';
import type { TownStore } from './ports';
import { SerialQueue } from './serial-queue';

/** Why the town stopped writing: the first state write the store refused. */
export interface StoreFailure {
  /** Engine time of the refusal. */
  at: number;
  error: string;
}

/** `state` writes are the records (a refusal stops the town); `history` writes are events and audit rows. */
export type WriteKind = 'state' | 'history';

/** How long (real ms) an event waits for others to be appended with it. */
export const EVENT_BATCH_MS = 100;

export class Persistence {
  private readonly queue = new SerialQueue();
  private pendingEvents: DomainEvent[] = [];
  private flushTimer: TimerHandle | null = null;
  private failures = 0;
  private fenced = 0;
  private stopped: StoreFailure | null = null;

  constructor(
    readonly store: TownStore,
    private readonly onError: (err: unknown) => void,
    private readonly clock: Clock,
  ) {}

  private readonly failureListeners: Array<(failure: StoreFailure) => void> = [];
  private readonly fencedListeners: Array<(error: FencedError) => void> = [];

  /** Calls `listener` on every write refused by a lease fence (the rig is another node's now). */
  onFenced(listener: (error: FencedError) => void): void {
    this.fencedListeners.push(listener);
  }

  /** Calls `listener` once, on the first refused state write (the Town stops on it). */
  onFailure(listener: (failure: StoreFailure) => void): void {
    this.failureListeners.push(listener);
  }

  /**
   * Queues a write. The returned promise rejects if this write fails, or is not made
   * because an earlier state write failed, for callers that must not go on without it
   * (the Refinery's merge intent); everyone else may ignore it.
   */
  write(fn: (store: TownStore) => Promise<void>, kind: WriteKind = 'state'): Promise<void> {
    return this.queue.run(async () => {
      // Checked when the write's turn comes: writes queued behind the failed one build on it.
      // A refusal is not counted: it was not written, and the failure was said once already.
      if (this.stopped) throw this.refusal();
      try {
        await fn(this.store);
      } catch (err) {
        this.failed(err, kind);
        throw err;
      }
    });
  }

  private failed(err: unknown, kind: WriteKind): void {
    if (isFenced(err)) {
      this.fenced++;
      for (const listener of this.fencedListeners) listener(err);
      return;
    }
    this.failures++;
    this.onError(err);
    if (kind === 'state' && !this.stopped) {
      this.stopped = { at: this.clock.now(), error: summarize(err) };
      for (const listener of this.failureListeners) listener(this.stopped);
    }
  }

  /** The first state write the store refused, once there was one: the town has stopped. */
  get failure(): StoreFailure | null {
    return this.stopped;
  }

  /** The 503 answer while stopped: what failed, and what brings the town back. */
  refusal(): EngineError {
    const f = this.stopped;
    return new EngineError(
      'unavailable',
      `the town stopped: the store refused a write (${f?.error ?? 'unknown error'}); ` +
        'memory and the database may differ, so nothing more is written or done. Restart the server to reload the town from the database',
    );
  }

  /** Resolves when every write queued so far has been attempted (not the buffered events). */
  written(): Promise<void> {
    return this.queue.flushed();
  }

  /** Buffers an event; events are appended together, at most EVENT_BATCH_MS later. */
  appendEvent(event: DomainEvent): void {
    this.pendingEvents.push(event);
    // In clock ms; a virtual clock (infinitely fast) flushes at its next step.
    const delay = Number.isFinite(this.clock.scale) ? EVENT_BATCH_MS * this.clock.scale : 0;
    this.flushTimer ??= this.clock.setTimer(delay, () => this.flushEvents());
  }

  /** Queues the buffered events' append now. */
  private flushEvents(): void {
    if (this.flushTimer) this.clock.clearTimer(this.flushTimer);
    this.flushTimer = null;
    const batch = this.pendingEvents;
    this.pendingEvents = [];
    if (batch.length > 0) void this.write((s) => s.appendEvents(batch), 'history');
  }

  /** Resolves when every write queued so far, buffered events included, has been attempted. */
  async drain(): Promise<void> {
    do {
      this.flushEvents();
      await this.queue.drain();
    } while (this.pendingEvents.length > 0);
  }

  get failedWrites(): number {
    return this.failures;
  }

  /** Writes refused by a lease fence so far (not failures: the rig had moved to another node). */
  get fencedWrites(): number {
    return this.fenced;
  }
}

/** One line of a store error: Prisma's messages open with the call site and end with the cause. */
function summarize(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim());
  const cause = (lines[lines.length - 1] ?? 'unknown error').trim();
  return cause.length > 300 ? `${cause.slice(0, 300)}…` : cause;
}
