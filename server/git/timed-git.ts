/**
 * A GitPort (or UpstreamPort) that reports how long each of its calls took (real ms), for
 * the fleet's time accounting (server/fleet/time-ledger.ts). Pure delegation: behaviour
 * unchanged. Every method of `git` must return a promise.
 */
import { performance } from 'node:perf_hooks';
import type { GitPort, UpstreamPort } from '../engine/ports';

export function timedGit<Port extends GitPort | UpstreamPort>(git: Port, spent: (ms: number) => void): Port {
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
