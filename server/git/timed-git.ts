/**
 * A GitPort that reports how long each of its calls took (real ms), for the fleet's
 * time accounting (server/fleet/time-ledger.ts). Pure delegation: behaviour unchanged.
 */
import { performance } from 'node:perf_hooks';
import type { GitPort } from '../engine/ports';

export function timedGit(git: GitPort, spent: (ms: number) => void): GitPort {
  return new Proxy(git, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const started = performance.now();
        const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        return result.finally(() => spent(performance.now() - started));
      };
    },
  });
}
