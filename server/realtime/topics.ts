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
 */
import type { AlertManager } from '../alerts/manager';
import type { AlertsView } from '../../contracts/alerts';
import type { DomainEvent } from '../../contracts/events';
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';
import { convoyView } from '../queries/convoy-view';
import { mergeQueueView, refineryStatsView, townOverview, type FleetReadings } from '../queries/town-view';
import type { TownOverview } from '../../contracts/town';
import type { StreamHub, TopicSource } from './hub';
import type { RigDetail, TownView } from '../../contracts/realtime';

export interface TopicDeps {
  town: Town;
  store: TownStore;
  alerts?: AlertManager | null;
}

/** The town overview, computed at most once between two engine events. */
export class OverviewMemo {
  private value: TownOverview | null = null;
  constructor(
    private readonly town: Town,
    private readonly readings?: FleetReadings,
  ) {}
  get(): TownOverview {
    return (this.value ??= townOverview(this.town, this.readings));
  }
  invalidate(): void {
    this.value = null;
  }
}

export function rigDetailFrom(town: Town, name: string, overview: TownOverview): RigDetail | null {
  const rig = overview.rigs.find((r) => r.name === name);
  if (!rig || !town.rigs.get(name)) return null;
  return {
    rig,
    queue: mergeQueueView(town, name),
    stats: refineryStatsView(town, name),
    now: town.clock.now(),
    timeScale: town.clock.scale,
  };
}

/** Refinery stages move (speculating -> validating) without an event; this fingerprint notices. */
export function queueFingerprint(town: Town, name: string): string {
  const { pending, inFlight } = town.rigs.queueState(name);
  return inFlight.map((i) => `${i.mr.id}:${i.stage}:${i.worker}`).join(',') + '|' + pending.map((mr) => mr.id).join(',');
}

export function createTopicResolver(deps: TopicDeps, memo: OverviewMemo) {
  const { town } = deps;
  return (topic: string): TopicSource | null => {
    if (topic === 'town') {
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
    if (topic.startsWith('rig:')) {
      const name = topic.slice(4);
      if (!town.rigs.get(name)) return null;
      let fingerprint = queueFingerprint(town, name);
      return {
        snapshot: () => rigDetailFrom(town, name, memo.get()),
        poll: () => {
          if (!town.rigs.get(name)) return false;
          const next = queueFingerprint(town, name);
          const changed = next !== fingerprint;
          fingerprint = next;
          return changed;
        },
      };
    }
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
