/**
 * The alert manager: evaluates every rule against each metric snapshot (the step,
 * `evaluate(snapshot)`; the sampler's clock is the driver), keeps the alerts in play,
 * and answers the operators' actions on them: acknowledge, silence, edit rules.
 *
 * Per evaluation, for each enabled rule and each series it covers (the town, or every
 * rig), the alert's timing moves through the pure state machine in state.ts. What moved
 * is announced to listeners (the realtime stream), written behind to the AlertStore
 * (restarts resume `for` durations where they were), and told to the webhook: an alert
 * is notified when it fires unless a silence or a more severe alert on the same labels
 * mutes it, and its resolution is notified when its firing was. A silence that ends lets
 * a still-firing alert through at the next evaluation.
 */
import { randomBytes } from 'node:crypto';
import { engineMsOf, type Clock, type Repeating } from '../engine/clock';
import { silentLogger, type Logger } from '../engine/context';
import { conflict, invalid, notFound } from '../engine/errors';
import type { MetricSnapshot, MetricValues } from '../../contracts/metrics';
import { SerialQueue } from '../engine/serial-queue';
import type {
  Alert,
  AlertChange,
  AlertsView,
  AlertView,
  Recommendation,
  Silence,
  AlertRule,
  Severity,
} from '../../contracts/alerts';
import { DEFAULT_RULES, conditionHolds, formatValue, ruleProblem, type NewRule, type RulePatch } from './rules';
import { isInForce, matchersFor, silencing, type SilenceInput } from './silences';
import { INACTIVE, evaluate, type AlertTiming } from './state';
import type { AlertQuery, AlertStore } from './store';

export interface AlertManagerOptions {
  store: AlertStore;
  clock: Clock;
  log?: Logger;
  /** The remedies an alert carries (recommendations.ts), given what it carried (an applied one stays pending); none by default. */
  recommend?: (rule: AlertRule, labels: Record<string, string>, previous: readonly Recommendation[]) => Recommendation[];
  /** Told when an alert fires (and nothing mutes it) and when a notified alert resolves. */
  notify?: (status: 'firing' | 'resolved', alert: AlertView) => void;
  newId?: (prefix: string) => string;
  /** How long resolved episodes and ended silences are kept. */
  retentionMs?: number;
  /** The town's name, carried in the view (the page title names it). */
  townName?: string;
  /** More words for an alert's summary, from outside the snapshot (the nodes a node-down alert is about). */
  explain?: (rule: AlertRule, labels: Record<string, string>) => string | null;
}

export const ALERT_RETENTION_MS = 30 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;
const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function fingerprint(ruleId: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return [ruleId, ...parts].join('|');
}

const timingOf = (a: Alert | undefined): AlertTiming =>
  a
    ? { state: a.state, activeAt: a.activeAt, firedAt: a.firedAt, resolvedAt: a.resolvedAt, keepFiringSince: a.keepFiringSince }
    : INACTIVE;

function summarize(rule: AlertRule, values: MetricValues, labels: Record<string, string>): string {
  const parts = rule.conditions.map(
    (c) => `${c.metric} ${formatValue(c.metric, values[c.metric] ?? null)} (${c.op} ${formatValue(c.metric, c.threshold)})`,
  );
  return `${parts.join(rule.match === 'all' ? ', ' : ' or ')}${labels.rig ? ` on ${labels.rig}` : ''}`;
}

export class AlertManager {
  private readonly rules = new Map<string, AlertRule>();
  /** Pending and firing alerts, by fingerprint. */
  private readonly active = new Map<string, Alert>();
  /** Silences not yet ended, by id. */
  private readonly silences = new Map<string, Silence>();
  private readonly listeners = new Set<(change: AlertChange) => void>();
  private readonly writer: SerialQueue;
  private readonly store: AlertStore;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly newId: (prefix: string) => string;
  private last: MetricSnapshot | null = null;
  /** Alert ids muted at the last look, to tell when a silence starts or ends. */
  private muted = new Set<string>();
  private pruneTimer: Repeating | null = null;

  constructor(private readonly options: AlertManagerOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.log = options.log ?? silentLogger;
    this.newId = options.newId ?? ((prefix) => `${prefix}-${randomBytes(5).toString('hex')}`);
    this.writer = new SerialQueue((err) => this.log.error('alert store write failed', { error: String(err) }));
  }

  /**
   * Loads rules (writing the defaults on a new town), the alerts in play and the silences,
   * replacing what was in memory: a node that becomes a cluster's leader reads again what
   * the previous leader wrote (docs/cluster.md).
   */
  async load(): Promise<void> {
    await this.writer.drain();
    const rules = await this.store.listRules();
    // A new town gets every default; an existing one the defaults added since it was made
    // (node-down came with clusters). A default is never deleted (only disabled), so one
    // missing from the store is new, not removed by an operator.
    const missing = DEFAULT_RULES.filter((d) => !rules.some((r) => r.id === d.id));
    if (missing.length > 0) {
      await this.store.saveRules([...missing], { by: 'defaults', at: this.clock.now() });
      rules.push(...missing.map((r) => structuredClone(r)));
    }
    const active = await this.store.listAlerts({ states: ['pending', 'firing'] });
    const silences = await this.store.listSilences({ notEndedAt: this.clock.now() });
    this.rules.clear();
    for (const rule of rules) this.rules.set(rule.id, rule);
    this.active.clear();
    for (const alert of active) this.active.set(fingerprint(alert.ruleId, alert.labels), alert);
    this.silences.clear();
    for (const s of silences) this.silences.set(s.id, s);
    this.muted = this.mutedNow(this.clock.now());
  }

  /** Prunes history older than the retention on a schedule (engine clock). */
  start(): void {
    this.pruneTimer ??= this.clock.every(PRUNE_EVERY_MS, () => {
      const before = this.clock.now() - (this.options.retentionMs ?? ALERT_RETENTION_MS);
      void this.writer.run(() => this.store.prune(before));
    });
  }

  stop(): void {
    this.pruneTimer?.stop();
    this.pruneTimer = null;
  }

  /** Waits until every change so far is written. */
  flush(): Promise<void> {
    return this.writer.drain();
  }

  get failedWrites(): number {
    return this.writer.failures;
  }

  onChange(listener: (change: AlertChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---------------------------------------------------------------- evaluation (the step)

  /** Evaluates every rule against a snapshot, at the snapshot's time. Returns what changed. */
  evaluate(snapshot: MetricSnapshot): AlertChange[] {
    this.last = snapshot;
    const now = snapshot.at;
    const changes: AlertChange[] = [];
    const seen = new Set<string>();
    for (const rule of this.rules.values()) {
      if (!rule.enabled) continue;
      const series =
        rule.scope === 'town'
          ? [{ labels: {}, values: snapshot.town }]
          : Object.entries(snapshot.rigs).map(([rig, values]) => ({ labels: { rig }, values }));
      for (const { labels, values } of series) {
        const fp = fingerprint(rule.id, labels);
        seen.add(fp);
        this.step(rule, labels, values, conditionHolds(rule, values), now, changes);
      }
    }
    // A series that is gone (a retired rig) no longer holds; a rule disabled or deleted takes its alerts with it.
    for (const [fp, alert] of [...this.active]) {
      if (seen.has(fp)) continue;
      const rule = this.rules.get(alert.ruleId);
      if (rule?.enabled) this.step(rule, alert.labels, {}, false, now, changes);
      else this.end(fp, alert, now, changes);
    }
    this.reconcileMuting(now, changes);
    this.announce(changes);
    return changes;
  }

  private step(
    rule: AlertRule,
    labels: Record<string, string>,
    values: MetricValues,
    holds: boolean,
    now: number,
    changes: AlertChange[],
  ): void {
    const fp = fingerprint(rule.id, labels);
    const current = this.active.get(fp);
    const next = evaluate(timingOf(current), holds, now, rule);
    if (next.state === 'inactive') {
      if (!current) return;
      this.active.delete(fp);
      void this.writer.run(() => this.store.deleteAlert(current.id));
      changes.push({ type: 'cleared', alert: this.view(current, now) });
      return;
    }
    const value = values[rule.conditions[0].metric];
    const said = Object.keys(values).length > 0 ? summarize(rule, values, labels) : (current?.summary ?? rule.name);
    const more = this.options.explain?.(rule, labels);
    const summary = more && !said.includes(more) ? `${said}: ${more}` : said;
    if (!current) {
      const alert: Alert = {
        id: this.newId('al'),
        ruleId: rule.id,
        ruleName: rule.name,
        severity: rule.severity,
        labels,
        state: next.state as Alert['state'],
        summary,
        value: value ?? null,
        activeAt: next.activeAt!,
        firedAt: next.firedAt,
        resolvedAt: null,
        keepFiringSince: null,
        lastEvaluatedAt: now,
        acknowledgedBy: null,
        acknowledgedAt: null,
        notified: false,
        recommendations: next.state === 'firing' ? this.recommend(rule, labels, []) : [],
      };
      this.active.set(fp, alert);
      this.save(alert);
      changes.push({ type: alert.state === 'firing' ? 'firing' : 'pending', alert: this.view(alert, now) });
      return;
    }
    const before = current.state;
    const moved = before !== next.state || current.keepFiringSince !== next.keepFiringSince;
    const valueChanged = value !== undefined && value !== current.value;
    const remedies = next.state === 'firing' ? this.recommend(rule, labels, current.recommendations) : current.recommendations;
    // A remedy applied (or its next step offered) is news to every page even when the value holds still.
    const remediesChanged = JSON.stringify(remedies) !== JSON.stringify(current.recommendations);
    Object.assign(current, {
      state: next.state,
      firedAt: next.firedAt,
      resolvedAt: next.resolvedAt,
      keepFiringSince: next.keepFiringSince,
      lastEvaluatedAt: now,
      summary,
      ruleName: rule.name,
      severity: rule.severity,
      ...(value !== undefined ? { value } : {}),
    });
    current.recommendations = remedies;
    if (next.state === 'resolved') {
      this.active.delete(fp);
      this.save(current);
      changes.push({ type: 'resolved', alert: this.view(current, now) });
      if (current.notified) this.options.notify?.('resolved', this.view(current, now));
    } else if (before !== next.state) {
      this.save(current);
      changes.push({ type: 'firing', alert: this.view(current, now) });
    } else if (moved || valueChanged || remediesChanged) {
      this.save(current);
      changes.push({ type: 'updated', alert: this.view(current, now) });
    }
  }

  /** Ends an alert whose rule is gone or disabled: a pending one clears, a firing one resolves now. */
  private end(fp: string, alert: Alert, now: number, changes: AlertChange[]): void {
    this.active.delete(fp);
    if (alert.state === 'pending') {
      void this.writer.run(() => this.store.deleteAlert(alert.id));
      changes.push({ type: 'cleared', alert: this.view(alert, now) });
      return;
    }
    Object.assign(alert, { state: 'resolved', resolvedAt: now, keepFiringSince: null, lastEvaluatedAt: now });
    this.save(alert);
    changes.push({ type: 'resolved', alert: this.view(alert, now) });
    if (alert.notified) this.options.notify?.('resolved', this.view(alert, now));
  }

  /**
   * Notifies firing alerts nothing mutes (once each) and announces alerts that a silence
   * started or stopped muting, and silences that ended by themselves.
   */
  private reconcileMuting(now: number, changes: AlertChange[]): void {
    for (const s of [...this.silences.values()]) {
      if (s.endsAt <= now) {
        this.silences.delete(s.id);
        changes.push({ type: 'silence_expired', silence: structuredClone(s) });
      }
    }
    const muted = this.mutedNow(now);
    const mentioned = new Set(changes.map((c) => ('alert' in c ? c.alert.id : '')));
    for (const alert of this.active.values()) {
      if (muted.has(alert.id) !== this.muted.has(alert.id) && !mentioned.has(alert.id)) {
        changes.push({ type: 'updated', alert: this.view(alert, now) });
      }
      if (alert.state === 'firing' && !alert.notified && !muted.has(alert.id)) {
        alert.notified = true;
        this.save(alert);
        this.options.notify?.('firing', this.view(alert, now));
      }
    }
    this.muted = muted;
  }

  private mutedNow(now: number): Set<string> {
    const muted = new Set<string>();
    for (const alert of this.active.values()) {
      const v = this.view(alert, now);
      if (v.silencedBy || v.inhibitedBy) muted.add(alert.id);
    }
    return muted;
  }

  private recommend(rule: AlertRule, labels: Record<string, string>, previous: readonly Recommendation[]): Recommendation[] {
    try {
      return this.options.recommend?.(rule, labels, previous) ?? [];
    } catch (err) {
      this.log.error('recommendation failed', { rule: rule.id, error: String(err) });
      return [];
    }
  }

  private save(alert: Alert): void {
    const copy = structuredClone(alert);
    void this.writer.run(() => this.store.saveAlert(copy));
  }

  private announce(changes: AlertChange[]): void {
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (err) {
          this.log.error('alert listener failed', { error: String(err) });
        }
      }
    }
  }

  /** Re-evaluates the last snapshot now (after a rule or silence changed). */
  private reevaluate(): void {
    if (this.last) this.evaluate({ ...this.last, at: Math.max(this.last.at, this.clock.now()) });
  }

  // ---------------------------------------------------------------- reading

  view(alert: Alert, now = this.clock.now()): AlertView {
    const silence = silencing(alert, this.silences.values(), now);
    let inhibitedBy: string | null = null;
    for (const other of this.active.values()) {
      if (other.state !== 'firing' || other.id === alert.id) continue;
      const rule = this.rules.get(other.ruleId);
      if (rule?.inhibits.includes(alert.ruleId) && fingerprint('', other.labels) === fingerprint('', alert.labels)) {
        inhibitedBy = other.id;
        break;
      }
    }
    return { ...structuredClone(alert), silencedBy: silence?.id ?? null, inhibitedBy };
  }

  /** Pending and firing alerts, most severe and oldest first, and the silences in force or scheduled. */
  activeView(): AlertsView {
    const now = this.clock.now();
    const active = [...this.active.values()]
      .map((a) => this.view(a, now))
      .sort(
        (a, b) =>
          (a.state === 'firing' ? 0 : 1) - (b.state === 'firing' ? 0 : 1) ||
          SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
          a.activeAt - b.activeAt,
      );
    const silences = [...this.silences.values()].filter((s) => s.endsAt > now).sort((a, b) => b.createdAt - a.createdAt);
    const timeScale = Number.isFinite(this.clock.scale) ? this.clock.scale : null;
    return { now, timeScale, active, silences: structuredClone(silences), town: this.options.townName ?? null };
  }

  /** History and the alerts in play, newest first; the ones in play as of this instant. */
  async listAlerts(query: AlertQuery): Promise<AlertView[]> {
    await this.writer.drain();
    const stored = await this.store.listAlerts(query);
    const live = new Map([...this.active.values()].map((a) => [a.id, a]));
    const now = this.clock.now();
    return stored.map((a) => this.view(live.get(a.id) ?? a, now));
  }

  listRules(): AlertRule[] {
    return [...this.rules.values()].map((r) => structuredClone(r)).sort((a, b) => a.id.localeCompare(b.id));
  }

  getAlert(id: string): AlertView | undefined {
    const alert = [...this.active.values()].find((a) => a.id === id);
    return alert ? this.view(alert) : undefined;
  }

  /** Silences, newest first: in force, scheduled and (from the store) ended. */
  async listSilences(query: { active?: boolean; limit?: number } = {}): Promise<Silence[]> {
    await this.writer.drain();
    const now = this.clock.now();
    const silences = await this.store.listSilences({ notEndedAt: query.active ? now : undefined, limit: query.limit });
    return silences.map((s) => this.silences.get(s.id) ?? s).map((s) => structuredClone(s));
  }

  // ---------------------------------------------------------------- operator actions

  /** Records who took a firing alert, and when. Cleared with the episode (a new firing starts unacknowledged). */
  acknowledge(id: string, by: string): AlertView {
    const alert = [...this.active.values()].find((a) => a.id === id);
    if (!alert) throw notFound('active alert', id);
    if (alert.state !== 'firing') throw conflict(`alert '${id}' is pending: it has not fired yet`);
    if (alert.acknowledgedBy === null) {
      alert.acknowledgedBy = by;
      alert.acknowledgedAt = this.clock.now();
      this.save(alert);
      this.announce([{ type: 'acknowledged', alert: this.view(alert) }]);
    }
    return this.view(alert);
  }

  createSilence(input: SilenceInput, by: string): Silence {
    let matchers = input.matchers;
    if (input.alertId !== undefined) {
      const alert = [...this.active.values()].find((a) => a.id === input.alertId);
      if (!alert) throw notFound('active alert', input.alertId);
      matchers = matchersFor(alert);
    }
    const now = this.clock.now();
    const silence: Silence = {
      id: this.newId('sil'),
      matchers: matchers!,
      reason: input.reason,
      createdBy: by,
      createdAt: now,
      startsAt: now,
      // A person's duration is real time, whatever the engine's time scale (issue 21).
      endsAt: now + engineMsOf(this.clock, input.durationMs),
      expiredBy: null,
    };
    this.silences.set(silence.id, silence);
    void this.writer.run(() => this.store.saveSilence(structuredClone(silence)));
    const changes: AlertChange[] = [{ type: 'silence_created', silence: structuredClone(silence) }];
    this.reconcileMuting(now, changes);
    this.announce(changes);
    return structuredClone(silence);
  }

  /** Ends a silence now: what it muted shows (and is notified) again. */
  expireSilence(id: string, by: string): Silence {
    const silence = this.silences.get(id);
    const now = this.clock.now();
    if (!silence || !isInForce(silence, now)) throw notFound('silence in force', id);
    silence.endsAt = now;
    silence.expiredBy = by;
    this.silences.delete(id);
    void this.writer.run(() => this.store.saveSilence(structuredClone(silence)));
    const changes: AlertChange[] = [{ type: 'silence_expired', silence: structuredClone(silence) }];
    this.reconcileMuting(now, changes);
    this.announce(changes);
    return structuredClone(silence);
  }

  createRule(input: NewRule, by: string): AlertRule {
    if (this.rules.has(input.id)) throw conflict(`rule '${input.id}' already exists`);
    const rule: AlertRule = { ...structuredClone(input), builtin: false };
    this.checkInhibits(rule);
    this.putRule(rule, by);
    return structuredClone(rule);
  }

  updateRule(patch: RulePatch, by: string): AlertRule {
    const current = this.rules.get(patch.id);
    if (!current) throw notFound('rule', patch.id);
    const rule: AlertRule = { ...current, ...structuredClone(patch), builtin: current.builtin };
    const problem = ruleProblem(rule);
    if (problem) throw invalid(problem);
    this.checkInhibits(rule);
    this.putRule(rule, by);
    return structuredClone(rule);
  }

  deleteRule(id: string, by: string): { id: string } {
    const rule = this.rules.get(id);
    if (!rule) throw notFound('rule', id);
    if (rule.builtin) throw conflict(`'${id}' is one of the default rules: disable it instead (or edit it)`);
    this.rules.delete(id);
    void this.writer.run(() => this.store.deleteRule(id));
    this.log.info('alert rule deleted', { rule: id, by });
    this.announce([{ type: 'rules_changed', ruleId: id }]);
    this.reevaluate();
    return { id };
  }

  /** Refuses a rule that inhibits itself or a rule that does not exist (checked before anything changes). */
  private checkInhibits(rule: AlertRule): void {
    rule.inhibits.forEach((id, i) => {
      if (id === rule.id) throw invalid(`inhibits.${i}: a rule cannot inhibit itself`);
      if (!this.rules.has(id)) throw invalid(`inhibits.${i}: there is no rule '${id}'`);
    });
  }

  /** Puts the default rules back as the seed has them (one write, all or none); the operators' own rules stay. */
  resetRules(by: string): AlertRule[] {
    const rules = DEFAULT_RULES.map((rule) => structuredClone(rule));
    for (const rule of rules) this.rules.set(rule.id, rule);
    const copies = structuredClone(rules);
    const at = this.clock.now();
    void this.writer.run(() => this.store.saveRules(copies, { by, at }));
    this.announce([{ type: 'rules_changed', ruleId: null }]);
    this.reevaluate();
    return this.listRules();
  }

  private putRule(rule: AlertRule, by: string): void {
    this.rules.set(rule.id, rule);
    const copy = structuredClone(rule);
    const at = this.clock.now();
    void this.writer.run(() => this.store.saveRule(copy, { by, at }));
    this.announce([{ type: 'rules_changed', ruleId: rule.id }]);
    this.reevaluate();
  }
}
