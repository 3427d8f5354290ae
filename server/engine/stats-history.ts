/**
 * The Refinery's statistics window, rebuilt from the event log when the engine opens: what
 * landed, conflicted, was rejected and validated in the last window survives a restart, so
 * its rates go on over the window they name instead of starting again from nothing (a
 * conflict sample falling from 453 to 34 moved a tile across the 40% line).
 */
import type { StoredEvent } from '../../contracts/activity';
import type { TownStore } from './ports';
import type { RefineryStats } from './refinery-stats';

const TYPES = ['mr.merged', 'mr.conflicted', 'mr.rejected', 'refinery.validated'];
/** The rigs' windows hold at most 5,000 entries each; a town's log is read up to this many. */
const MAX_EVENTS = 100_000;

/** Feeds each rig's stats the stored events of its window, oldest first. */
export async function seedStatsFromHistory(
  store: TownStore,
  stats: ReadonlyMap<string, RefineryStats>,
  now: number,
): Promise<number> {
  if (stats.size === 0) return 0;
  const windowMs = Math.max(...[...stats.values()].map((s) => s.windowMs));
  const events = await store.listEvents({ types: TYPES, since: now - windowMs, limit: MAX_EVENTS });
  let fed = 0;
  for (const stored of events.reverse()) {
    const target = stored.rig ? stats.get(stored.rig) : undefined;
    if (target && replay(target, stored)) fed++;
  }
  return fed;
}

function replay(stats: RefineryStats, { data: e }: StoredEvent): boolean {
  switch (e.type) {
    case 'mr.merged':
      stats.recordAttempt(e.at, 'merged', e.queueMs);
      return true;
    case 'mr.conflicted':
      stats.recordAttempt(e.at, 'conflicted');
      return true;
    case 'mr.rejected':
      stats.recordAttempt(e.at, 'rejected');
      return true;
    case 'refinery.validated':
      stats.recordValidation(e.at, e.ok, e.durationMs);
      return true;
    default:
      return false;
  }
}
