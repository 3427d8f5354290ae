/**
 * An in-process stand-in for "the process was killed right here", on hold/release fakes
 * instead of sleeps: the town's store and git port are wrapped so that, from the moment a
 * chosen call has returned, every later write and every later git call is held (it never
 * reaches the database or the repository, as in a killed process). The crash tests use it
 * to pin down windows that random SIGKILLs of the real server hit only now and then.
 *
 * Nothing here waits on real time: `settle` returns when the town is idle or as soon as a
 * call is held (the town could never settle again), and `quiet` resolves when every call
 * that was already running at the crash has returned, so the next town opens on a
 * repository and database nobody touches any more.
 */
import type { GitPort, TownStore } from '../../server/engine/ports';
import type { Town } from '../../server/engine/town';

const WRITE = /^(save|append|delete|prune)/;

export interface CrashPoint {
  /** The store to open the first town on: writes after the crash are held. */
  store: TownStore;
  /** The git port to open the first town on (optional wrapping): calls after the crash are held. */
  git: GitPort;
  /** True once the fatal call has returned. */
  dead(): boolean;
  /** The first town's settle for the virtual clock: idle, or stuck on a held call. */
  settle(town: Town): Promise<void>;
  /** Resolves when every call that was running at the crash has returned. */
  quiet(): Promise<void>;
}

export interface CrashOptions {
  store: TownStore;
  git: GitPort;
  /** The store write after which the process dies (it is committed; nothing after it is). */
  storeDiesAfter?: (method: string, args: unknown[]) => boolean;
  /** The git call after which the process dies (its effect happened; nothing after it does). */
  gitDiesAfter?: (method: string, args: unknown[], result: unknown) => boolean;
}

export function crashPoint(options: CrashOptions): CrashPoint {
  let dead = false;
  let heldOne!: () => void;
  const stuck = new Promise<void>((resolve) => (heldOne = resolve));
  const running = new Set<Promise<unknown>>();

  /** A call that never returns: the process died before it could be made. */
  const hold = (): Promise<never> => {
    heldOne();
    return new Promise<never>(() => {});
  };

  function wrap<T extends object>(
    real: T,
    intercept: (method: string) => boolean,
    diesAfter?: (method: string, args: unknown[], result: unknown) => boolean,
  ): T {
    return new Proxy(real, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function' || typeof prop !== 'string' || !intercept(prop)) return value;
        return (...args: unknown[]) => {
          if (dead) return hold();
          const call = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          running.add(call);
          return call.then(
            (result) => {
              running.delete(call);
              if (diesAfter?.(prop, args, result)) dead = true;
              return result;
            },
            (err: unknown) => {
              running.delete(call);
              throw err;
            },
          );
        };
      },
    });
  }

  const store = wrap(options.store, (m) => WRITE.test(m), options.storeDiesAfter && ((m, a) => options.storeDiesAfter!(m, a)));
  const git = wrap(options.git, () => true, options.gitDiesAfter);
  return {
    store,
    git,
    dead: () => dead,
    settle: (town) => Promise.race([town.settle(), stuck]),
    quiet: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
