/**
 * The town's topics and what feeds them:
 *
 *   town          overview (rigs, polecats, totals, Deacon, escalations, diagrams);
 *                 every engine event
 *   rig:<name>    the rig's detail (rig, merge queue in landing order, Refinery stats);
 *                 the events of that rig; Refinery stage moves (polled: they have no event)
 *   convoy:<id>   the convoy's view (beads, waves, rework); events of the convoy and of its beads
 *   alerts        pending and firing alerts with their silences; alert changes
 *
 * One engine event can feed several topics (town, its rig, its convoy). Views are read
 * models from server/queries; the town overview is computed once per burst and shared by
 * every topic that needs it.
 *
 * In a cluster with forwarding (`remote`), `town` folds in the other nodes' rigs and
 * `rig:<name>` of a rig another node runs is that node's view of it (rig-topic.ts); the
 * events of both come from those nodes over the relay.
 */
import type { AlertManager } from '../alerts/manager';
import type { AlertsView } from '../../contracts/alerts';
import type { DomainEvent } from '../../contracts/events';
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';
import { convoyView } from '../queries/convoy-view';
import { townOverview, type FleetReadings, type OtherNodesOverview } from '../queries/town-view';
import type { TownOverview } from '../../contracts/town';
import { FetchedView } from './fetched-view';
import type { StreamHub, TopicSource } from './hub';
import type { RigDetail, TownView } from '../../contracts/realtime';
import { rigTopic } from './rig-topic';

/** What the other nodes of a cluster answer for the topics about their rigs (server/cluster/stream-views.ts). */
export interface RemoteViews {
  /** Why `rig` cannot be watched from here (no node knows it, its owner is not alive), or null. */
  admitRig(rig: string): Promise<string | null>;
  /** The rig's detail as the node that runs it answers; null when no node does. */
  rigDetail(rig: string): Promise<RigDetail | null>;
  /** The other nodes' parts of the overview; `localRigs`: the ones this node answers for. */
  otherNodes(localRigs: string[]): Promise<OtherNodesOverview>;
}

export interface TopicDeps {
  town: Town;
  store: TownStore;
  alerts?: AlertManager | null;
  /** In a cluster with forwarding: the other nodes' views; null on one server. */
  remote?: RemoteViews | null;
  onError?: (err: unknown) => void;
}

const NO_OTHERS: OtherNodesOverview = { parts: [], unavailable: [] };
/** How often at most the other nodes are asked for their parts of the overview (it is heavier than a rig's view). */
const TOWN_VIEW_INTERVAL_MS = 1_000;

/** The town overview, computed at most once between two engine events (and new answers of the other nodes). */
export class OverviewMemo {
  private value: TownOverview | null = null;
  private merged: { others: OtherNodesOverview; value: TownOverview } | null = null;
  constructor(
    private readonly town: Town,
    private readonly readings?: FleetReadings,
  ) {}
  get(): TownOverview {
    return (this.value ??= townOverview(this.town, this.readings));
  }
  /** With the other nodes' parts folded in (a cluster). */
  with(others: OtherNodesOverview): TownOverview {
    if (this.merged?.others !== others) this.merged = { others, value: townOverview(this.town, this.readings, others) };
    return this.merged.value;
  }
  invalidate(): void {
    this.value = null;
    this.merged = null;
  }
}

/** The overview topic of a cluster: this node's rigs as they are, the others' as they last answered. */
function clusterTownTopic(deps: TopicDeps, remote: RemoteViews, memo: OverviewMemo, changed: () => void): TopicSource {
  const onError = deps.onError ?? ((err: unknown) => console.error('[gastown] town view', err));
  const others = new FetchedView(
    () => remote.otherNodes(deps.town.rigs.list().map((r) => r.name)),
    changed,
    onError,
    TOWN_VIEW_INTERVAL_MS,
  );
  const view = (): TownView => ({ overview: memo.with(others.current() ?? NO_OTHERS) });
  return {
    permanent: true,
    snapshot: async () => {
      await others.fresh().catch(onError);
      return view();
    },
    view,
    stale: () => others.stale(),
    close: () => others.close(),
  };
}

/** `changed(topic)`: a topic's view moved without an item (another node's answer came back). */
export function createTopicResolver(deps: TopicDeps, memo: OverviewMemo, changed: (topic: string) => void = () => {}) {
  const { town } = deps;
  return (topic: string): TopicSource | null => {
    if (topic === 'town') {
      if (deps.remote) return clusterTownTopic(deps, deps.remote, memo, () => changed(topic));
      return {
        permanent: true,
        snapshot: (): TownView => ({ overview: memo.get() }),
        view: (): TownView => ({ overview: memo.get() }),
      };
    }
    if (topic === 'alerts') {
      const alerts = deps.alerts;
      if (!alerts) return null;
      return { permanent: true, snapshot: (): AlertsView => alerts.activeView() };
    }
    if (topic.startsWith('rig:')) return rigTopic(topic.slice(4), { ...deps, memo, changed: () => changed(topic) });
    if (topic.startsWith('convoy:')) {
      const id = topic.slice(7);
      if (!town.convoys.find(id)) return null;
      return { snapshot: () => convoyView(town, deps.store, id) };
    }
    return null;
  };
}

/** The convoy an event concerns, directly or through its bead (looked up while the bead is in play). */
function convoyOf(town: Town, event: DomainEvent): string | null {
  if ('convoy' in event && typeof event.convoy === 'string') return event.convoy;
  if ('bead' in event && typeof event.bead === 'string') return town.beads.get(event.bead)?.convoyId ?? null;
  return null;
}

/** Feeds engine events and alert changes into the hub's topics. */
export function feedTopics(hub: StreamHub, deps: TopicDeps, memo: OverviewMemo): () => void {
  const offEvents = deps.town.bus.subscribe((event) => {
    memo.invalidate();
    const item = { kind: 'event' as const, ts: Date.now(), event };
    hub.push('town', item);
    if ('rig' in event && typeof event.rig === 'string') hub.push(`rig:${event.rig}`, item);
    const convoy = convoyOf(deps.town, event);
    if (convoy && hub.wants(`convoy:${convoy}`)) hub.push(`convoy:${convoy}`, item);
  });
  const offAlerts =
    deps.alerts?.onChange((change) => hub.push('alerts', { kind: 'alert', ts: Date.now(), change })) ?? (() => {});
  return () => {
    offEvents();
    offAlerts();
  };
}
