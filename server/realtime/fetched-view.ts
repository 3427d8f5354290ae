/**
 * A view another node answers (a rig it runs, its part of the overview), as a stream topic
 * serves it: a delta never waits for the network, so it carries the last answer. The view is
 * asked for again when something says it moved (`stale`: an event of that node came in over
 * the relay), in the background, at most every `minIntervalMs` and one question at a time (a
 * burst of events is one question, plus one after it); an answer that differs calls `changed`,
 * which marks the topic's view dirty, and the next delta carries it.
 */
export class FetchedView<T> {
  private value: T | null = null;
  private json = '';
  private asking = false;
  private again = false;
  private lastAskedAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ask: () => Promise<T>,
    private readonly changed: () => void,
    private readonly onError: (err: unknown) => void,
    private readonly minIntervalMs: number,
  ) {}

  /** Waits for a new answer (a client's snapshot). */
  async fresh(): Promise<T> {
    this.lastAskedAt = Date.now();
    const value = await this.ask();
    this.store(value);
    return value;
  }

  /** The last answer; null before any. */
  current(): T | null {
    return this.value;
  }

  /** The view moved: ask again (soon, in the background). */
  stale(): void {
    if (this.timer) return; // the question already scheduled is after this
    if (this.asking) {
      this.again = true;
      return;
    }
    const wait = this.lastAskedAt + this.minIntervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.stale();
      }, wait);
      this.timer.unref();
      return;
    }
    this.asking = true;
    this.lastAskedAt = Date.now();
    this.ask()
      .then(
        (value) => {
          if (this.store(value)) this.changed();
        },
        (err: unknown) => this.onError(err),
      )
      .finally(() => {
        this.asking = false;
        if (!this.again) return;
        this.again = false;
        this.stale();
      });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Keeps `value`; true when it differs from the last one. */
  private store(value: T): boolean {
    const json = JSON.stringify(value);
    const differs = json !== this.json;
    this.value = value;
    this.json = json;
    return differs;
  }
}
