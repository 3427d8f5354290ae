/**
 * A store that refuses a chosen write, as a failing disk would: a TownStore wrapping the
 * real one whose writes go through until `failOn(method, args)` holds for one, which
 * throws without reaching the database. It counts the writes that reach the real store
 * after that, so a test can prove the town wrote nothing more (fail-stop, persistence.ts).
 * Unlike dying-store.ts (the process killed after a write), the process lives on.
 */
import type { TownStore } from '../../server/engine/ports';

const WRITE = /^(save|append|delete|prune|add)/;

export interface FailingStore {
  store: TownStore;
  /** Refuse the next write for which this holds (once). */
  failOn(test: (method: string, args: unknown[]) => boolean): void;
  /** Whether the chosen write has been refused. */
  failed(): boolean;
  /** Writes that reached the real store after the refusal. */
  writesAfterFailure(): string[];
}

export function failingStore(real: TownStore): FailingStore {
  let failOn: ((method: string, args: unknown[]) => boolean) | null = null;
  let failed = false;
  const after: string[] = [];
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || !WRITE.test(prop)) return value;
      return async (...args: unknown[]) => {
        if (!failed && failOn?.(prop, args)) {
          failed = true;
          throw new Error(`${prop}: disk I/O error (injected)`);
        }
        if (failed) after.push(prop);
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return {
    store,
    failOn: (test) => (failOn = test),
    failed: () => failed,
    writesAfterFailure: () => [...after],
  };
}
