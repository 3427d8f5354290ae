/**
 * The waits between a notifier's delivery retries (the webhook's, Alertmanager's), which
 * its stop cuts short: `wakeAll` ends every wait at once, and the retry loop, seeing the
 * notifier stopped, marks the delivery failed instead of trying again.
 */
export class RetrySleeps {
  readonly #waiting = new Map<NodeJS.Timeout, () => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#waiting.delete(t);
        resolve();
      }, ms);
      this.#waiting.set(t, resolve);
    });
  }

  wakeAll(): void {
    for (const [t, wake] of this.#waiting) {
      clearTimeout(t);
      wake();
    }
    this.#waiting.clear();
  }
}
