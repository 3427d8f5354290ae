/**
 * Write-through to the store, in order. All writes go through one promise chain so a
 * record's saves land in the order they were made (SQLite has one writer anyway), and
 * events emitted in the same tick are appended as one batch.
 */
import type { DomainEvent } from './events';
import type { TownStore } from './ports';

export class Persistence {
  private chain: Promise<void> = Promise.resolve();
  private pendingEvents: DomainEvent[] = [];
  private flushScheduled = false;
  private failures = 0;

  constructor(
    readonly store: TownStore,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Queues a write. The returned promise rejects if this write fails, for callers that
   * must not go on without it (the Refinery's merge intent); everyone else may ignore it.
   */
  write(fn: (store: TownStore) => Promise<void>): Promise<void> {
    const p = this.chain.then(() => fn(this.store));
    this.chain = p.catch((err) => {
      this.failures++;
      this.onError(err);
    });
    return p;
  }

  /** Buffers an event; all events of one tick are appended together. */
  appendEvent(event: DomainEvent): void {
    this.pendingEvents.push(event);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      const batch = this.pendingEvents;
      this.pendingEvents = [];
      if (batch.length > 0) void this.write((s) => s.appendEvents(batch));
    });
  }

  /** Resolves when every write queued so far has been attempted. */
  async drain(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.chain;
      await seen;
      await Promise.resolve(); // let a scheduled event flush join the chain
    } while (seen !== this.chain || this.pendingEvents.length > 0);
  }

  get failedWrites(): number {
    return this.failures;
  }
}
