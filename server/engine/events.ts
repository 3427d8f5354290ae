/**
 * The domain event bus. Every state change in the engine is announced here (the events'
 * shapes are contracts/events.ts), stamped with the engine clock's time; subscribers persist them (store), fold them into
 * metrics and push them to browsers (realtime). Subscribers never call back into the
 * engine synchronously.
 */
import type { DomainEvent } from '../../contracts/events';

export type EventListener = (event: DomainEvent) => void;

/** Synchronous fan-out; a throwing listener is reported and does not stop the others. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly onListenerError: (err: unknown) => void = console.error) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: DomainEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
