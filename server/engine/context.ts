/**
 * Everything an engine role needs, bundled once by the assembly (assembly.ts: one object, not ten
 * positional arguments). Roles get this, never globals.
 */
import type { Clock } from './clock';
import type { DomainEvent } from '../../contracts/events';
import { EventBus } from './events';
import type { AgentRuntime, GitPort } from './ports';
import type { Persistence } from './persistence';
import type { Random } from './random';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export class EngineContext {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly clock: Clock,
    readonly git: GitPort,
    readonly agents: AgentRuntime,
    readonly persistence: Persistence,
    readonly random: Random,
    readonly bus: EventBus,
    readonly log: Logger,
  ) {}

  /** Publishes an event to subscribers and appends it to the event log. */
  emit(event: DomainEvent): void {
    this.persistence.appendEvent(event);
    this.bus.publish(event);
  }

  /**
   * Runs async work the engine must be able to wait for (settle, graceful stop).
   * Failures are logged, never unhandled.
   */
  track(work: Promise<unknown>, what: string): void {
    const p = work.catch((err: unknown) => this.log.error(`${what} failed`, { error: String(err) }));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Like `track`, but hands the result (or the failure) back to the caller. */
  during<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.then(
      () => this.inFlight.delete(work),
      () => this.inFlight.delete(work),
    );
    return work;
  }

  /** Waits until no tracked work is in flight and every write has landed. */
  async settle(): Promise<void> {
    for (;;) {
      if (this.inFlight.size > 0) {
        await Promise.allSettled([...this.inFlight]);
        continue;
      }
      await this.persistence.drain();
      // A drained write may have no follow-up; one more microtask turn catches late tracks.
      await new Promise<void>((r) => setImmediate(r));
      if (this.inFlight.size === 0) return;
    }
  }
}
