/**
 * Monitoring, assembled: the sampler (metric registry on the engine clock), the series
 * recorder (persisted, downsampled, pruned), the alert manager (rules, silences,
 * recommendations) and its webhook, wired so each sample is recorded and evaluated. One
 * options object in, one object out with `load`, `start` and `stop`; the composition root
 * (server/main.ts) and the tests build it the same way.
 */
import type { Clock } from '../engine/clock';
import { silentLogger, type Logger } from '../engine/context';
import type { Town } from '../engine/town';
import { AlertManager } from '../alerts/manager';
import { recommend } from '../alerts/recommendations';
import type { AlertStore } from '../alerts/store';
import { WebhookNotifier } from '../alerts/webhook';
import { AlertmanagerNotifier } from '../alerts/alertmanager';
import { RefineryHistograms } from './histograms';
import { DEFAULT_SAMPLE_INTERVAL_MS, MetricsSampler } from './sampler';
import { SeriesRecorder } from './series';
import type { MetricsStore } from './series-store';
import type { MetricSnapshot } from '../../contracts/metrics';
import { mergeTownSnapshot, type NodeSample } from './town-merge';

/**
 * Who runs the town-wide duties (docs/cluster.md): on one server, this one, always; in a
 * cluster, the leader (engine/leadership.ts), with the other live nodes' last samples.
 */
export interface TownDuties {
  isLeader(): boolean;
  /** The other live nodes' last samples of their rigs. */
  peers(): readonly NodeSample[];
  /** Dead nodes whose rigs are not all owned again (cluster/node-watch.ts); null on one server. */
  nodesDown(): number | null;
  /** Which nodes are down and who owns their rigs now, for the node-down alert. */
  describeNodesDown(): string | null;
}

export const SINGLE_SERVER_DUTIES: TownDuties = {
  isLeader: () => true,
  peers: () => [],
  nodesDown: () => null,
  describeNodesDown: () => null,
};

export interface MonitoringOptions {
  town: Town;
  metricsStore: MetricsStore;
  alertStore: AlertStore;
  log?: Logger;
  /** Whether the command API offers a command (recommendations only offer those). */
  hasCommand?: (name: string) => boolean;
  /** GT_ALERT_WEBHOOK_URL. */
  webhookUrl?: string | null;
  /** GT_ALERTMANAGER_URL, parsed: the Alertmanagers alerts are posted to (none: empty or unset). */
  alertmanagerUrls?: readonly string[];
  /** The `town` label on alerts posted to Alertmanager. */
  townName?: string;
  /** The `node` label on them, in a cluster (GT_NODE). */
  nodeName?: string;
  alertmanager?: Partial<Omit<ConstructorParameters<typeof AlertmanagerNotifier>[0], 'urls' | 'town'>>;
  /** The alerts page's URL, carried in webhook payloads. */
  pageUrl?: string | null | (() => string | null);
  /** Engine ms between samples (default 10 s; see sampleIntervalFor). */
  sampleIntervalMs?: number;
  webhook?: Partial<Omit<ConstructorParameters<typeof WebhookNotifier>[0], 'url'>>;
  /** Default: one server, which runs them all. */
  duties?: TownDuties;
}

/**
 * 10 s of engine time, but never more often than every 100 ms of real time: at
 * GT_TIME_SCALE=600 sampling every 10 engine seconds would be 60 samples a real second.
 */
export function sampleIntervalFor(clock: Clock): number {
  return Number.isFinite(clock.scale)
    ? Math.max(DEFAULT_SAMPLE_INTERVAL_MS, Math.ceil(100 * clock.scale))
    : DEFAULT_SAMPLE_INTERVAL_MS;
}

export function createMonitoring(options: MonitoringOptions) {
  const { town } = options;
  const clock = town.clock;
  const log = options.log ?? silentLogger;
  const duties = options.duties ?? SINGLE_SERVER_DUTIES;
  /** The last snapshot of the whole town (the leader's, with its peers' rigs); null off the leader. */
  let townSnapshot: MetricSnapshot | null = null;
  const sampler = new MetricsSampler({
    town,
    intervalMs: options.sampleIntervalMs ?? sampleIntervalFor(clock),
    onError: (err) => log.error('metrics listener failed', { error: String(err) }),
  });
  const recorder = new SeriesRecorder({ store: options.metricsStore, clock, log });
  const webhook = options.webhookUrl
    ? new WebhookNotifier({
        url: options.webhookUrl,
        pageUrl: options.pageUrl ?? null,
        onFailure: (d) =>
          log.warn('alert webhook delivery failed', {
            alert: d.alertId,
            status: d.status,
            attempts: d.attempts,
            error: d.lastError,
          }),
        ...options.webhook,
      })
    : null;
  const hasCommand = options.hasCommand ?? (() => true);
  const toAlertmanager = (options.alertmanagerUrls?.length ?? 0) > 0;
  const alerts = new AlertManager({
    store: options.alertStore,
    clock,
    log,
    recommend: (rule, labels, previous) => recommend(rule, labels, { town, hasCommand, previous }),
    townName: options.townName,
    explain: (rule) => (rule.conditions.some((c) => c.metric === 'nodes_down') ? duties.describeNodesDown() : null),
    // `alertmanager` is built below (it reads this manager's rules): told only once both exist.
    // Asked again at the moment of posting: an ex-leader woken from a pause posts nothing.
    notify:
      webhook || toAlertmanager
        ? (status, alert) => {
            if (!duties.isLeader()) return;
            webhook?.notify(status, alert);
            alertmanager?.notify(status, alert);
          }
        : undefined,
  });
  const alertmanager = toAlertmanager
    ? new AlertmanagerNotifier({
        urls: options.alertmanagerUrls!,
        town: options.townName ?? 'gastown',
        node: options.nodeName,
        pageUrl: options.pageUrl ?? null,
        describe: (ruleId) => alerts.listRules().find((r) => r.id === ruleId)?.description,
        current: (id) => alerts.getAlert(id),
        onFailure: (d) =>
          log.warn('alertmanager delivery failed', {
            target: d.target,
            alert: d.alertId,
            status: d.status,
            attempts: d.attempts,
            error: d.lastError,
          }),
        ...options.alertmanager,
      })
    : null;
  // Escalations go to the same receiver: the dashboard and the event log have them already.
  const ESCALATION_EVENTS = {
    'escalation.raised': 'raised',
    'escalation.reescalated': 'reescalated',
    'escalation.acknowledged': 'acknowledged',
    'escalation.resolved': 'resolved',
  } as const;
  const offEscalations = webhook
    ? town.bus.subscribe((event) => {
        if (!(event.type in ESCALATION_EVENTS)) return;
        const id = (event as { escalation: string }).escalation;
        const record = town.escalations.get(id) ?? town.escalations.recentlyResolved(id);
        if (record) webhook.notifyEscalation(ESCALATION_EVENTS[event.type as keyof typeof ESCALATION_EVENTS], { ...record });
      })
    : () => {};
  const histograms = new RefineryHistograms();
  const withNodes = (snapshot: MetricSnapshot): MetricSnapshot => {
    const down = duties.nodesDown();
    return down === null ? snapshot : { ...snapshot, town: { ...snapshot.town, nodes_down: down } };
  };
  /** Settles once the alerts in play are the store's (a new leader reads them first: lead()). */
  let loaded: Promise<void> = Promise.resolve();
  let loading = false;
  /**
   * The leader's step: the whole town's snapshot, evaluated (and returned); null on a node that
   * does not lead, or while a new leader is still reading the alerts in play.
   */
  const evaluateTown = (own: MetricSnapshot | null): MetricSnapshot | null => {
    if (!own || !duties.isLeader() || loading) {
      townSnapshot = null;
      return null;
    }
    const town = withNodes(mergeTownSnapshot({ ...own, at: clock.now() }, duties.peers()));
    townSnapshot = town;
    alerts.evaluate(town);
    return town;
  };
  let offSnapshot: (() => void) | null = null;
  let offHistograms: (() => void) | null = null;

  return {
    sampler,
    recorder,
    alerts,
    webhook,
    alertmanager,
    histograms,
    /** The whole town's last snapshot, as the leader evaluated it; null on a node that does not lead. */
    townSnapshot: (): MetricSnapshot | null => (duties.isLeader() ? townSnapshot : null),
    /**
     * This node became the leader: the alerts in play are the previous leader's, in the store
     * (it wrote them behind), so they are read again and their `for` durations resume there.
     */
    async lead(): Promise<void> {
      loading = true;
      loaded = alerts.load().finally(() => {
        loading = false;
      });
      await loaded;
      // A fresh sample, not the latest: that one may be from before the rigs just claimed were attached.
      sampler.sample();
    },
    /**
     * The cluster's nodes changed (a heartbeat found one dead, or its rigs claimed): the leader
     * evaluates at once on its latest sample, so a node-down alert does not wait for the next one.
     */
    nodesChanged(): void {
      void loaded.then(() => {
        if (duties.isLeader()) sampler.sample();
      });
    },
    /** Loads rules, alerts in play and silences (throughput's window is the Refinery's, rebuilt by the engine). */
    async load(): Promise<void> {
      await alerts.load();
      // Alerts that fired (and were told) before a restart are still firing: Alertmanager hears of them again.
      for (const a of alerts.activeView().active) {
        if (a.state === 'firing' && a.notified && !a.silencedBy && !a.inhibitedBy) alertmanager?.notify('firing', a);
      }
    },
    start(): void {
      // Every node records its own rigs' series; the leader alone the town's, and only it
      // evaluates the rules, on the whole town (its rigs and the other nodes' last samples).
      offSnapshot = sampler.onSnapshot((snapshot) => {
        const town = evaluateTown(snapshot);
        if (town) recorder.record({ ...town, rigs: snapshot.rigs });
        else recorder.record(snapshot, { town: false });
      });
      offHistograms = histograms.attach(town.bus);
      recorder.start();
      alerts.start();
      alertmanager?.start();
      sampler.start();
    },
    async stop(): Promise<void> {
      sampler.stop();
      offSnapshot?.();
      offHistograms?.();
      recorder.stop();
      alerts.stop();
      webhook?.stop();
      alertmanager?.stop();
      offEscalations();
      await Promise.all([recorder.flush(), alerts.flush(), webhook?.idle(), alertmanager?.idle()]);
    },
  };
}

export type Monitoring = ReturnType<typeof createMonitoring>;
