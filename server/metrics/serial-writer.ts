/**
 * Writes in the order they were made, one at a time, off the caller's path: the metrics
 * recorder and the alert manager decide synchronously (on the engine's tick) and persist
 * behind. A failed write is counted and reported, never unhandled; `drain()` lets tests
 * and shutdown wait for what is queued.
 */
export class SerialWriter {
  private chain: Promise<void> = Promise.resolve();
  private failures = 0;
  private queued = 0;

  constructor(private readonly onError: (err: unknown) => void) {}

  write(fn: () => Promise<unknown>): Promise<void> {
    this.queued++;
    const p = this.chain.then(fn).then(
      () => {
        this.queued--;
      },
      (err: unknown) => {
        this.queued--;
        this.failures++;
        this.onError(err);
      },
    );
    this.chain = p;
    return p;
  }

  async drain(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
  }

  get failedWrites(): number {
    return this.failures;
  }

  /** Writes waiting or in progress (a backlog that grows means the database cannot keep up). */
  get backlog(): number {
    return this.queued;
  }
}
