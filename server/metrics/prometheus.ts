/**
 * /metrics in the Prometheus text format (prom-client), so an existing Prometheus and
 * Grafana can scrape the town. Every catalogue metric is exported as `gt_<name>` with a
 * unit suffix (`_seconds`, `_ratio`, ...), per rig with a `rig` label or town-wide without
 * one, from the sampler's latest snapshot (the same numbers the alert rules saw). Beside
 * them: the alerts in play (`gt_alerts`, one series per alert, like Prometheus's own
 * ALERTS), the webhook's deliveries, the live streams, and Node's process metrics.
 *
 * The Refinery's timings are histograms beside them (histograms.ts). Node's defaults are
 * kept but for the three `*_total` gauges (active handles, requests, resources):
 * `promtool check metrics` rejects a `_total` suffix on a non-counter, and the same
 * numbers are served by type as `nodejs_active_handles` and its siblings.
 *
 * In a cluster each node exports the rigs it runs, labelled with `node`, and the leader alone
 * the town-wide values (the whole town's, docs/cluster.md).
 *
 * Per-rig values are not summed into a town series here: Prometheus does that
 * (`sum(gt_queue_depth)`), and a conflict rate is re-weighted with `gt_conflict_sample`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AlertManager } from '../alerts/manager';
import type { WebhookNotifier } from '../alerts/webhook';
import type { AlertmanagerNotifier } from '../alerts/alertmanager';
import type { Town } from '../engine/town';
import { METRICS, METRIC_NAMES, type MetricName, type MetricSnapshot, type MetricUnit } from '../../contracts/metrics';
import type { RefineryHistograms } from './histograms';
import type { MetricsSampler } from './sampler';

export interface PrometheusDeps {
  sampler: MetricsSampler;
  town: Town;
  alerts?: AlertManager | null;
  webhook?: WebhookNotifier | null;
  alertmanager?: AlertmanagerNotifier | null;
  /** Live-stream figures (socket.io clients, topics, buffered items). */
  streams?:
    | (() => {
        clients: number;
        topics: number;
        bufferedItems: number;
        behindClients: number;
        /** Pushes relayed from other nodes (a cluster): received, dropped as duplicates, gaps given up on. */
        relayed?: { received: number; duplicates: number; gaps: number };
        /** 1 when the Redis link is up, 0 when down, absent on one server. */
        redisUp?: number | null;
      })
    | null;
  /** Time in queue and check duration (fed by the town's events; see monitoring.ts). */
  histograms?: RefineryHistograms | null;
  /** Node's process metrics (CPU, memory, event-loop lag); off in tests that build many registries. */
  processMetrics?: boolean;
  /**
   * In a cluster: this node's name, as a `node` label on its rigs' series (it exports only the
   * rigs it runs), and the town-wide values, which only the leader has (null elsewhere: the
   * town's series are not exported by the other nodes, so a Prometheus scraping every node
   * sees each once).
   */
  cluster?: { node: string; town: () => MetricSnapshot['town'] | null } | null;
}

const SUFFIX: Record<MetricUnit, string> = {
  count: '',
  seconds: '_seconds',
  ratio: '_ratio',
  per_hour: '_per_hour',
  usd: '_usd',
  tokens: '',
};

/** `gt_<metric>` with its unit's suffix, unless the name already says it (`budget_ratio`). */
export function prometheusName(metric: MetricName): string {
  const suffix = SUFFIX[METRICS[metric].unit];
  return `gt_${metric}${metric.endsWith(suffix) ? '' : suffix}`;
}

/** Gauges prom-client names like counters; their per-type siblings (`nodejs_active_handles`) stay. */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createPrometheusRegistry(deps: PrometheusDeps): Registry {
  const register = new Registry();
  if (deps.processMetrics !== false) {
    collectDefaultMetrics({ register });
    for (const name of MISNAMED_DEFAULTS) register.removeSingleMetric(name);
  }
  deps.histograms?.registerWith(register);

  const cluster = deps.cluster ?? null;
  for (const metric of METRIC_NAMES) {
    const def = METRICS[metric];
    const perRig = def.scope === 'rig';
    new Gauge({
      name: prometheusName(metric),
      help: def.help,
      labelNames: perRig ? (cluster ? ['rig', 'node'] : ['rig']) : [],
      registers: [register],
      collect() {
        this.reset();
        const snapshot = deps.sampler.latest();
        if (!snapshot) return;
        if (perRig) {
          for (const [rig, values] of Object.entries(snapshot.rigs)) {
            const v = values[metric];
            if (typeof v === 'number') this.set(cluster ? { rig, node: cluster.node } : { rig }, v);
          }
        } else {
          const town = cluster ? cluster.town() : snapshot.town;
          // Not the leader: no town series at all (an unlabelled gauge reads 0 after reset otherwise).
          if (!town) return void this.remove();
          const v = town[metric];
          if (typeof v === 'number') this.set(v);
        }
      },
    });
  }

  new Gauge({
    name: 'gt_metrics_sample_age_seconds',
    help: 'Engine-clock age of the snapshot these values come from',
    registers: [register],
    collect() {
      const snapshot = deps.sampler.latest();
      if (snapshot) this.set((deps.town.clock.now() - snapshot.at) / 1000);
    },
  });

  new Gauge({
    name: 'gt_deacon_loop_last_cycle_seconds',
    help: "The Deacon's last patrol cycle per loop (hot, warm, cold; all when sequential)",
    labelNames: ['loop'],
    registers: [register],
    collect() {
      this.reset();
      for (const [loop, l] of Object.entries(deps.town.supervision.deaconStatus().loops)) {
        if (l.lastCycleMs !== null) this.set({ loop }, l.lastCycleMs / 1000);
      }
    },
  });

  if (deps.alerts) {
    const alerts = deps.alerts;
    new Gauge({
      name: 'gt_alerts',
      help: 'Alerts in play: 1 per pending or firing alert (like Prometheus ALERTS)',
      labelNames: ['rule', 'rig', 'severity', 'state', 'silenced'],
      registers: [register],
      collect() {
        this.reset();
        for (const a of alerts.activeView().active) {
          this.set(
            {
              rule: a.ruleId,
              rig: a.labels.rig ?? '',
              severity: a.severity,
              state: a.state,
              silenced: String(!!(a.silencedBy || a.inhibitedBy)),
            },
            1,
          );
        }
      },
    });
  }

  if (deps.webhook) {
    const webhook = deps.webhook;
    new Counter({
      name: 'gt_alert_webhook_deliveries_total',
      help: 'Alert webhook deliveries by result (failed: every retry used up)',
      labelNames: ['result'],
      registers: [register],
      collect() {
        const s = webhook.stats();
        this.reset();
        this.inc({ result: 'delivered' }, s.delivered);
        this.inc({ result: 'failed' }, s.failed);
      },
    });
    new Counter({
      name: 'gt_alert_webhook_retries_total',
      help: 'Alert webhook attempts that were retried',
      registers: [register],
      collect() {
        this.reset();
        this.inc(webhook.stats().retries);
      },
    });
  }

  if (deps.alertmanager) {
    const am = deps.alertmanager;
    new Counter({
      name: 'gt_alertmanager_deliveries_total',
      help: 'Posts to Alertmanager (one per Alertmanager) by result (failed: every retry used up)',
      labelNames: ['result'],
      registers: [register],
      collect() {
        const s = am.stats();
        this.reset();
        this.inc({ result: 'delivered' }, s.delivered);
        this.inc({ result: 'failed' }, s.failed);
      },
    });
  }

  if (deps.streams) {
    const streams = deps.streams;
    const gauge = (name: string, help: string, read: (s: ReturnType<typeof streams>) => number) =>
      new Gauge({
        name,
        help,
        registers: [register],
        collect() {
          this.set(read(streams()));
        },
      });
    gauge('gt_stream_clients', 'Connected socket.io clients', (s) => s.clients);
    gauge('gt_stream_topics', 'Live-stream topics tracked', (s) => s.topics);
    gauge('gt_stream_buffered_items', 'Items held in the replay buffers and waiting to be pushed', (s) => s.bufferedItems);
    gauge('gt_stream_clients_behind', 'Clients skipped because their socket buffer is full', (s) => s.behindClients);
    // A cluster's relay (GT_REDIS_URL): a gap is deltas from another node that never arrived (clients were told).
    new Counter({
      name: 'gt_stream_relayed_total',
      help: 'Live-stream pushes from other nodes by outcome (applied, duplicate, gap)',
      labelNames: ['outcome'],
      registers: [register],
      collect() {
        const r = streams().relayed;
        this.reset();
        if (!r) return;
        this.inc({ outcome: 'applied' }, r.received - r.duplicates);
        this.inc({ outcome: 'duplicate' }, r.duplicates);
        this.inc({ outcome: 'gap' }, r.gaps);
      },
    });
    gauge(
      'gt_stream_redis_up',
      'Whether the Redis link of a cluster is up (1) or down (0); -1 on one server',
      (s) => s.redisUp ?? -1,
    );
  }

  return register;
}
