/**
 * Runs tasks one at a time, in the order they were queued: the one serial queue behind the
 * store's write-through (persistence.ts), the metrics and alert writers, git's worktree
 * administration per repository, the gate slots, webhook deliveries per alert and the
 * lab's one run at a time.
 *
 * A failed task is reported (`onError`, `failures`) and never stops the ones behind it.
 * `run` returns the task's own promise, for callers that must not go on without it; it
 * is already handled, so callers that do not care may drop it. A waiter whose signal
 * aborts leaves at once, but the ones behind it still wait for the task ahead of it, so
 * two tasks never overlap.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private failed = 0;

  /** @param onError hears every failed task (a log line); the task's caller hears it too. */
  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.tail = previous.then(() => mine);
    this.queued++;
    const result = (async () => {
      try {
        await untilAborted(previous, signal);
        try {
          return await task();
        } catch (err) {
          this.failed++;
          this.onError(err);
          throw err;
        }
      } finally {
        this.queued--;
        release();
      }
    })();
    result.catch(() => {}); // handled: the failure was counted and reported above
    return result;
  }

  /**
   * Resolves once every task queued so far has finished, not those queued later: a busy
   * queue may never be empty, and a caller waiting for its own task must not wait for it.
   */
  flushed(): Promise<void> {
    return this.tail;
  }

  /** Resolves once every task queued so far, and any queued meanwhile, has finished. */
  async drain(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.tail;
      await seen;
    } while (seen !== this.tail);
  }

  /** Tasks that failed so far. */
  get failures(): number {
    return this.failed;
  }

  /** Tasks waiting or in progress (a backlog that grows means the database cannot keep up). */
  get backlog(): number {
    return this.queued;
  }
}

/**
 * One SerialQueue per key (a repository, a worker slot, an alert): tasks of one key run in
 * order, different keys run concurrently. A key's queue is dropped once it is idle, so
 * the map stays bounded.
 */
export class KeyedSerialQueue {
  private readonly queues = new Map<string, SerialQueue>();

  /** Keys with a task waiting or running. */
  keys(): string[] {
    return [...this.queues.keys()];
  }

  run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = new SerialQueue()));
    const result = queue.run(task, signal);
    const forget = () => {
      if (queue.backlog === 0 && this.queues.get(key) === queue) this.queues.delete(key);
    };
    result.then(forget, forget);
    return result;
  }

  /** Resolves once no key has a task waiting or running. */
  async drain(): Promise<void> {
    while (this.queues.size > 0) {
      await Promise.all([...this.queues.values()].map((q) => q.drain()));
      // Idle queues are forgotten a few microtasks after their last task: let that happen.
      await new Promise<void>((resolve) => queueMicrotask(resolve));
    }
  }
}

/** Waits for `promise`, or rejects with an AbortError as soon as `signal` aborts. */
function untilAborted(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

function abortError(signal: AbortSignal): Error {
  const error = new Error('aborted while waiting in a serial queue', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}
