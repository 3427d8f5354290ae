/** What `gt status --json` prints (contracts/town.ts StatusView), read from the town. */
import type { StatusView } from '../../contracts/town';
import type { Town } from '../engine/town';

const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);

/** This node's rigs and agents; `node` names it on each rig (cluster/town-reads.ts adds the other nodes'). */
export function statusView(town: Town, node: string): StatusView {
  const deacon = town.supervision.deaconStatus();
  const polecats = town.polecats.list();
  const byState: Record<string, number> = {};
  for (const p of polecats) byState[p.state] = (byState[p.state] ?? 0) + 1;
  const escalations = town.escalations.list();
  return {
    now: town.clock.now(),
    time_scale: town.clock.scale,
    rigs: town.rigs.list().map((rig) => {
      const witness = town.supervision.witnessStatus(rig.name);
      return {
        name: rig.name,
        node,
        status: rig.status,
        tier: town.supervision.tier(rig.name),
        tier_pinned: rig.settings.tier !== 'auto',
        polecats: town.polecats.list(rig.name).length,
        queue_depth: town.rigs.queueDepth(rig.name),
        refinery_workers: rig.settings.refineryWorkers,
        witness: { interval_s: seconds(witness.intervalMs), last_patrol_at: witness.lastPatrolAt },
      };
    }),
    agents: {
      total: polecats.length,
      by_state: byState,
      unhealthy: polecats.filter((p) => p.health !== 'ok').map((p) => ({ id: p.id, health: p.health, strikes: p.strikes })),
    },
    deacon: {
      mode: deacon.mode,
      /** Seconds: the longest last cycle among the Deacon's patrol loops. */
      last_patrol_duration: seconds(deacon.lastPatrolDurationMs),
      tiers: Object.fromEntries(
        Object.entries(deacon.loops)
          .filter(([, l]) => l.intervalMs !== null)
          .map(([name, l]) => [name, { last_cycle_s: seconds(l.lastCycleMs), rigs: l.rigs, interval_s: seconds(l.intervalMs) }]),
      ),
      gate_latency_s: {
        last: seconds(deacon.gateLatency.lastMs),
        p95: seconds(deacon.gateLatency.p95Ms),
        max: seconds(deacon.gateLatency.maxMs),
        sample: deacon.gateLatency.sample,
      },
    },
    escalations: {
      open: escalations.filter((e) => e.status === 'open').length,
      acknowledged: escalations.filter((e) => e.status === 'acknowledged').length,
    },
    gates_waiting: town.gates.list().length,
    unavailable_rigs: [],
  };
}
