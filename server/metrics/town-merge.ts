/**
 * The town's snapshot in a cluster: each node samples only the rigs it runs, and sends that
 * sample with its heartbeat (`Node.rigMetrics`); the leader, which evaluates the alert rules
 * for the whole town, folds the other live nodes' rigs into its own sample and sums the town
 * up again the way the sampler does for one node. Pure: the leader's monitoring calls it.
 *
 * Town-only values: the Deacon's patrol and the gate latency are each node's own (it patrols
 * its rigs), so the worst of them is the town's; spend is the leader's (every node seeds
 * today's spend from the shared usage records, so a sum would count them twice).
 */
import { RIG_METRICS, THROTTLED_RATIO_MIN_POLECATS, type MetricSnapshot, type MetricValues } from '../../contracts/metrics';
import { TOWN_AGGREGATE } from './sampler';

/** What a node sends with its heartbeat. */
export interface NodeSample {
  /** The node's engine-clock time of the sample. */
  at: number;
  town: MetricValues;
  rigs: Record<string, MetricValues>;
}

/** The JSON a node stores for `sample` (the leader parses it back with parseNodeSample). */
export function nodeSampleJson(snapshot: MetricSnapshot): string {
  const sample: NodeSample = { at: snapshot.at, town: snapshot.town, rigs: snapshot.rigs };
  return JSON.stringify(sample);
}

/** A stored sample, or null when it is missing or not one (another version's, a bad row). */
export function parseNodeSample(text: string | null | undefined): NodeSample | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<NodeSample>;
    if (typeof value.at !== 'number' || typeof value.rigs !== 'object' || value.rigs === null) return null;
    return { at: value.at, town: typeof value.town === 'object' && value.town ? value.town : {}, rigs: value.rigs };
  } catch {
    return null;
  }
}

const WORST_OF_NODES = ['patrol_duration', 'gate_latency'] as const;

/** The leader's snapshot with the peers' rigs in it; a rig the leader runs itself keeps its own values. */
export function mergeTownSnapshot(own: MetricSnapshot, peers: readonly NodeSample[]): MetricSnapshot {
  if (peers.length === 0) return own;
  const rigs: Record<string, MetricValues> = {};
  for (const peer of peers) Object.assign(rigs, peer.rigs);
  Object.assign(rigs, own.rigs);
  const town: MetricValues = { ...own.town };
  const all = Object.values(rigs);
  for (const metric of RIG_METRICS) {
    const values = all.map((r) => r[metric]).filter((v): v is number => typeof v === 'number');
    town[metric] =
      values.length === 0 ? null : TOWN_AGGREGATE[metric] === 'max' ? Math.max(...values) : values.reduce((a, b) => a + b, 0);
  }
  // The town's conflict rate is over every attempt: each rig's rate weighted by its sample.
  let attempts = 0;
  let conflicts = 0;
  for (const r of all) {
    if (typeof r.conflict_rate !== 'number' || typeof r.conflict_sample !== 'number') continue;
    attempts += r.conflict_sample;
    conflicts += r.conflict_rate * r.conflict_sample;
  }
  for (const metric of ['queue_depth', 'workers_busy', 'workers', 'polecats', 'polecats_working'] as const) town[metric] ??= 0;
  town.conflict_sample = attempts;
  town.conflict_rate = attempts > 0 ? conflicts / attempts : null;
  for (const metric of WORST_OF_NODES) {
    const values = [own.town[metric], ...peers.map((p) => p.town[metric])].filter((v): v is number => typeof v === 'number');
    town[metric] = values.length === 0 ? null : Math.max(...values);
  }
  const polecats = town.polecats ?? 0;
  town.throttled_ratio = polecats >= THROTTLED_RATIO_MIN_POLECATS ? (town.polecats_throttled ?? 0) / Math.max(1, polecats) : null;
  return { at: own.at, town, rigs };
}
