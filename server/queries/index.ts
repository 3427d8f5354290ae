/** The read side, bundled for the runtime handle. */
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';
import type { QueueSeries } from '../metrics/queue-series';
import type { Queries } from '../runtime';
import { mergeQueueView, refineryStatsView, townOverview } from './town-view';

export function createQueries(town: Town, store: TownStore, series: QueueSeries): Queries {
  return {
    overview: () => townOverview(town),
    mergeQueue: (rig) => {
      if (rig !== undefined && !town.getRig(rig)) return [];
      return mergeQueueView(town, rig);
    },
    refineryStats: (rig) => refineryStatsView(town, rig),
    queueHistory: () => series.history(),
    // Beads in play are answered from memory (fresh to the tick); history from the store.
    beads: (query) => store.listBeads(query),
    bead: async (id) => town.getActiveBead(id) ?? (await store.getBead(id)),
    events: (query) => store.listEvents(query),
  };
}
