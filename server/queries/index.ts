/** The read side, bundled for the runtime handle. */
import { exportBeadsFile } from '../beads/transfer';
import type { TownStore } from '../engine/ports';
import type { SplitRequest } from '../engine/split';
import type { Town } from '../engine/town';
import type { Queries } from '../runtime';
import type { ClusterView } from '../../contracts/cluster';
import { convoyList, convoyView } from './convoy-view';
import { costsView } from './costs-view';
import { mergeRequestView } from './merge-request-view';
import { splitPreview, splitSuggestion } from './split-view';
import { statusView } from './status-view';
import { mergeQueueView, refineryStatsView, townOverview, type FleetReadings } from './town-view';

export interface QueryDeps {
  /** Measurements taken outside the engine, when the server has them. */
  fleet?: FleetReadings;
  /** Checks a split preview's body as the split command would (server/commands/split-request.ts). */
  parseSplit: (rig: string, input: unknown) => SplitRequest;
  /** The cluster's view (server/cluster/view.ts), built by the composition root. */
  cluster: () => Promise<ClusterView>;
  /** This node's name (GT_NODE), on the rigs it lists. */
  node: string;
}

export function createQueries(town: Town, store: TownStore, { fleet, parseSplit, cluster, node }: QueryDeps): Queries {
  return {
    overview: (others) => townOverview(town, fleet, others),
    mergeQueue: (rig) => {
      if (rig !== undefined && !town.rigs.get(rig)) return [];
      return mergeQueueView(town, rig);
    },
    mergeRequest: (rig, id) => mergeRequestView(town, store, rig, id),
    refineryStats: (rig) => refineryStatsView(town, rig),
    status: () => statusView(town, node),
    convoys: () => convoyList(town, store),
    convoy: (id) => convoyView(town, store, id),
    costs: (by, range) => costsView(town, store, by, range),
    // Open ones from memory (current to the tick), history from the store.
    escalations: async (query) => {
      const stored = await store.listEscalations(query);
      const live = new Map(town.escalations.list().map((e) => [e.id, e]));
      return stored.map((e) => live.get(e.id) ?? e);
    },
    gates: (query) => store.listGates(query),
    // Beads in play are answered from memory (fresh to the tick); history from the store.
    beads: (query) => store.listBeads(query),
    beadsExport: (rig) => exportBeadsFile(town, store, rig),
    bead: async (id) => town.beads.get(id) ?? (await store.getBead(id)),
    recordRig: async (kind, id) => {
      const rigOf = async (bead: string) => (town.beads.get(bead) ?? (await store.getBead(bead)))?.rig ?? null;
      if (kind === 'bead') return rigOf(id);
      if (kind === 'escalation') {
        const open = await store.listEscalations({ status: ['open', 'acknowledged'] });
        return open.find((e) => e.id === id)?.rig ?? null;
      }
      const convoy = town.convoys.find(id) ?? (await store.getConvoy(id));
      const first = convoy?.beadIds[0];
      return first ? rigOf(first) : null;
    },
    events: (query) => store.listEvents(query),
    audit: (limit, before) => store.listAudit(limit, before),
    splitPreview: (rig, input) => splitPreview(town, rig, parseSplit(rig, input)),
    splitSuggestion: (rig) => splitSuggestion(town, rig),
    cluster,
  };
}
