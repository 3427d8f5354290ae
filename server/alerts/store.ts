/**
 * Where rules, alert episodes and silences are kept: a port with a memory implementation
 * (here) and a Prisma one (prisma-store.ts), held to one conformance suite. Kept apart from
 * TownStore on purpose: the engine neither knows nor needs alerts.
 */
import type { Alert, Silence, AlertRule } from '../../contracts/alerts';

export interface AlertQuery {
  states?: Alert['state'][];
  ruleId?: string;
  rig?: string;
  /** Episodes active, or resolved, at or after this time. */
  since?: number;
  limit?: number;
}

export interface SilenceQuery {
  /** Only silences not yet ended at this time. */
  notEndedAt?: number;
  limit?: number;
}

export interface AlertStore {
  listRules(): Promise<AlertRule[]>;
  saveRule(rule: AlertRule, meta: { by: string; at: number }): Promise<void>;
  /** Saves several rules in one transaction: all or none (a reset of the defaults). */
  saveRules(rules: AlertRule[], meta: { by: string; at: number }): Promise<void>;
  deleteRule(id: string): Promise<void>;
  /** Upsert by id. */
  saveAlert(alert: Alert): Promise<void>;
  /** A pending alert that cleared before firing leaves no history. */
  deleteAlert(id: string): Promise<void>;
  /** Newest first (by activeAt, then id). */
  listAlerts(query: AlertQuery): Promise<Alert[]>;
  saveSilence(silence: Silence): Promise<void>;
  /** Newest first (by createdAt, then id). */
  listSilences(query: SilenceQuery): Promise<Silence[]>;
  /** Retention: resolved episodes and silences that ended before `before`. */
  prune(before: number): Promise<{ alerts: number; silences: number }>;
}

const copy = <T>(v: T): T => structuredClone(v);

function newestFirst<T extends { id: string }>(key: (t: T) => number) {
  return (a: T, b: T) => key(b) - key(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

function take<T>(items: T[], limit: number | undefined): T[] {
  return limit === undefined ? items : items.slice(0, Math.max(0, Math.floor(limit)));
}

export class MemoryAlertStore implements AlertStore {
  private readonly rules = new Map<string, AlertRule>();
  private readonly alerts = new Map<string, Alert>();
  private readonly silences = new Map<string, Silence>();

  async listRules(): Promise<AlertRule[]> {
    return [...this.rules.values()].map(copy).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async saveRule(rule: AlertRule): Promise<void> {
    this.rules.set(rule.id, copy(rule));
  }

  async saveRules(rules: AlertRule[]): Promise<void> {
    for (const rule of rules) this.rules.set(rule.id, copy(rule));
  }

  async deleteRule(id: string): Promise<void> {
    this.rules.delete(id);
  }

  async saveAlert(alert: Alert): Promise<void> {
    this.alerts.set(alert.id, copy(alert));
  }

  async deleteAlert(id: string): Promise<void> {
    this.alerts.delete(id);
  }

  async listAlerts(q: AlertQuery): Promise<Alert[]> {
    const found = [...this.alerts.values()].filter(
      (a) =>
        (!q.states || q.states.includes(a.state)) &&
        (q.ruleId === undefined || a.ruleId === q.ruleId) &&
        (q.rig === undefined || a.labels.rig === q.rig) &&
        (q.since === undefined || a.activeAt >= q.since || (a.resolvedAt !== null && a.resolvedAt >= q.since)),
    );
    return take(found.sort(newestFirst((a) => a.activeAt)), q.limit).map(copy);
  }

  async saveSilence(silence: Silence): Promise<void> {
    this.silences.set(silence.id, copy(silence));
  }

  async listSilences(q: SilenceQuery): Promise<Silence[]> {
    const found = [...this.silences.values()].filter((s) => q.notEndedAt === undefined || s.endsAt > q.notEndedAt);
    return take(found.sort(newestFirst((s) => s.createdAt)), q.limit).map(copy);
  }

  async prune(before: number): Promise<{ alerts: number; silences: number }> {
    let alerts = 0;
    let silences = 0;
    for (const a of [...this.alerts.values()]) {
      if (a.state === 'resolved' && a.resolvedAt !== null && a.resolvedAt < before) {
        this.alerts.delete(a.id);
        alerts++;
      }
    }
    for (const s of [...this.silences.values()]) {
      if (s.endsAt < before) {
        this.silences.delete(s.id);
        silences++;
      }
    }
    return { alerts, silences };
  }
}
