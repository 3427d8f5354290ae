/**
 * The `rig:<name>` topic: the rig's detail (rig, merge queue in landing order, Refinery stats)
 * and its events. This node's rig is read from its engine, with a poll for the Refinery's
 * stage moves (they have no event). In a cluster with forwarding, a rig another node runs is
 * that node's answer (GET /api/rigs/<name>, relayed with this node's identity): fetched for a
 * client's snapshot, asked again in the background when the owner's events come in over the
 * relay (fetched-view.ts), so a delta never waits for the network. A rig that moves to or
 * away from this node switches between the two on the next read.
 */
import type { RigDetail } from '../../contracts/realtime';
import type { TownOverview } from '../../contracts/town';
import type { Town } from '../engine/town';
import { mergeQueueView, refineryStatsView } from '../queries/town-view';
import { FetchedView } from './fetched-view';
import type { TopicSource } from './hub';
import type { OverviewMemo, RemoteViews } from './topics';

/** How often at most another node is asked for a view it answers (a burst of its events is one question). */
export const REMOTE_VIEW_INTERVAL_MS = 250;

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

export interface RigTopicDeps {
  town: Town;
  memo: OverviewMemo;
  remote?: RemoteViews | null;
  /** The view moved without an item (the owner's new answer came back). */
  changed(): void;
  onError?: (err: unknown) => void;
}

/** The topic's source; null when this node cannot show the rig (one server, not its rig). */
export function rigTopic(name: string, deps: RigTopicDeps): TopicSource | null {
  const { town, memo, remote } = deps;
  const here = () => town.rigs.get(name) !== undefined;
  if (!here() && !remote) return null;
  const local = () => rigDetailFrom(town, name, memo.get());
  const onError = deps.onError ?? ((err: unknown) => console.error(`[gastown] rig ${name} view`, err));
  const owners = remote ? new FetchedView(() => remote.rigDetail(name), deps.changed, onError, REMOTE_VIEW_INTERVAL_MS) : null;
  let fingerprint = here() ? queueFingerprint(town, name) : '';
  return {
    admit: async () => (here() || !remote ? null : remote.admitRig(name)),
    snapshot: () => (here() || !owners ? local() : owners.fresh()),
    view: () => (here() || !owners ? local() : owners.current()),
    poll: () => {
      if (!here()) return false;
      const next = queueFingerprint(town, name);
      const moved = next !== fingerprint;
      fingerprint = next;
      return moved;
    },
    stale: () => {
      if (!here()) owners?.stale();
    },
    close: () => owners?.close(),
  };
}
