/**
 * The store of a simulated town: the in-memory store, minus the event log and the
 * copies of the records that change on every step. A what-if never reloads its town nor
 * lists that history (the engine only reads the store when it opens), and a day of a
 * thousand polecats writes them millions of times; the lab reads what it measures live
 * from the event bus instead. Everything else (settings, gates, escalations)
 * behaves as MemoryStore does.
 */
import type { DomainEvent } from '../../contracts/events';
import type { Bead, MergeRequest, Polecat, Rig, UsageRecord } from '../../contracts/records';
import { MemoryStore } from '../store/memory-store';

export class SimStore extends MemoryStore {
  /** Events the engine wrote (counted, not kept). */
  eventsWritten = 0;

  override async appendEvents(events: DomainEvent[]): Promise<void> {
    this.eventsWritten += events.length;
  }

  override async saveRig(_rig: Rig): Promise<void> {}

  override async savePolecat(_polecat: Polecat): Promise<void> {}

  override async saveBead(_bead: Bead): Promise<void> {}

  override async saveMergeRequest(_mr: MergeRequest): Promise<void> {}

  /** Usage is summed live by the engine's cost meter; the daily sums are never read back. */
  override async addUsage(_records: UsageRecord[]): Promise<void> {}
}
