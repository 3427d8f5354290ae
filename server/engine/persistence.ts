/**
 * Write-through to the store, in order. All writes go through one SerialQueue so a
 * record's saves land in the order they were made (SQLite has one writer anyway).
 * Events are the history, not the state: they are appended in batches, at most
 * EVENT_BATCH_MS after they happened, because a busy town emits dozens a second and every
 * append is a query and a transaction (Prisma 6 compiles each query on the event loop).
 * A crash can lose that last fraction of a second of history, never a record's state.
 */
import type { DomainEvent } from './events';
import type { Clock, TimerHandle } from './clock';
import type { TownStore } from './ports';
import { SerialQueue } from './serial-queue';

/** How long (real ms) an event waits for others to be appended with it. */
export const EVENT_BATCH_MS = 100;

export class Persistence {
  private readonly queue: SerialQueue;
  private pendingEvents: DomainEvent[] = [];
  private flushTimer: TimerHandle | null = null;

  constructor(
    readonly store: TownStore,
    onError: (err: unknown) => void,
    private readonly clock: Clock,
  ) {
    this.queue = new SerialQueue(onError);
  }

  /**
   * Queues a write. The returned promise rejects if this write fails, for callers that
   * must not go on without it (the Refinery's merge intent); everyone else may ignore it.
   */
  write(fn: (store: TownStore) => Promise<void>): Promise<void> {
    return this.queue.run(() => fn(this.store));
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
    if (batch.length > 0) void this.write((s) => s.appendEvents(batch));
  }

  /** Resolves when every write queued so far, buffered events included, has been attempted. */
  async drain(): Promise<void> {
    do {
      this.flushEvents();
      await this.queue.drain();
    } while (this.pendingEvents.length > 0);
  }

  get failedWrites(): number {
    return this.queue.failures;
  }
}
