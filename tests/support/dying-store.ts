/**
 * An in-process stand-in for "the process was killed right here": a TownStore whose
 * writes stop dead (hang forever, never reaching the database) from the moment a chosen
 * write has been committed. The crash test uses it to pin down windows that random
 * SIGKILLs of the real server hit only now and then.
 */
import type { TownStore } from '../../server/engine/ports';

const WRITE = /^(save|append|delete|prune)/;

export interface DyingStore {
  store: TownStore;
  /** True once the fatal write has been committed (every later write hangs). */
  dead(): boolean;
}

/**
 * Wraps `real`: each write goes through until `diesAfter(method, args)` returns true for
 * one; that write is committed, and nothing after it is.
 */
export function dyingStore(real: TownStore, diesAfter: (method: string, args: unknown[]) => boolean): DyingStore {
  let dead = false;
  const never = new Promise<never>(() => {});
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || !WRITE.test(prop)) return value;
      return async (...args: unknown[]) => {
        if (dead) return never;
        await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (diesAfter(prop, args)) dead = true;
      };
    },
  });
  return { store, dead: () => dead };
}
