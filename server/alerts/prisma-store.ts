/**
 * AlertStore on Prisma (AlertRule, Alert and Silence tables). Portable queries only. It
 * shares the server's PrismaClient and does not close it: the TownStore owns the client.
 */
import type { Prisma } from '../store/generated/client';
import type { StoreClient } from '../store/client';
import type { Alert, Recommendation, Silence, SilenceMatcher, AlertRule, Severity } from '../../contracts/alerts';
import type { AlertQuery, AlertStore, SilenceQuery } from './store';

type AlertRow = Prisma.AlertGetPayload<object>;
type SilenceRow = Prisma.SilenceGetPayload<object>;

function alertToRow(a: Alert): AlertRow {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    severity: a.severity,
    labels: JSON.stringify(a.labels),
    rig: a.labels.rig ?? null,
    state: a.state,
    summary: a.summary,
    value: a.value,
    activeAt: a.activeAt,
    firedAt: a.firedAt,
    resolvedAt: a.resolvedAt,
    keepFiringSince: a.keepFiringSince,
    lastEvaluatedAt: a.lastEvaluatedAt,
    acknowledgedBy: a.acknowledgedBy,
    acknowledgedAt: a.acknowledgedAt,
    notified: a.notified,
    recommendations: JSON.stringify(a.recommendations),
  };
}

function alertFromRow(r: AlertRow): Alert {
  return {
    id: r.id,
    ruleId: r.ruleId,
    ruleName: r.ruleName,
    severity: r.severity as Severity,
    labels: JSON.parse(r.labels) as Record<string, string>,
    state: r.state as Alert['state'],
    summary: r.summary,
    value: r.value,
    activeAt: r.activeAt,
    firedAt: r.firedAt,
    resolvedAt: r.resolvedAt,
    keepFiringSince: r.keepFiringSince,
    lastEvaluatedAt: r.lastEvaluatedAt,
    acknowledgedBy: r.acknowledgedBy,
    acknowledgedAt: r.acknowledgedAt,
    notified: r.notified,
    recommendations: JSON.parse(r.recommendations) as Recommendation[],
  };
}

function silenceToRow(s: Silence): SilenceRow {
  return { ...s, matchers: JSON.stringify(s.matchers) };
}

function silenceFromRow(r: SilenceRow): Silence {
  return { ...r, matchers: JSON.parse(r.matchers) as SilenceMatcher[] };
}

const take = (limit: number | undefined) => (limit === undefined ? undefined : Math.max(0, Math.floor(limit)));

export class PrismaAlertStore implements AlertStore {
  constructor(private readonly prisma: StoreClient) {}

  async listRules(): Promise<AlertRule[]> {
    const rows = await this.prisma.alertRule.findMany({ orderBy: { id: 'asc' } });
    return rows.map((r) => ({ ...(JSON.parse(r.definition) as AlertRule), id: r.id, builtin: r.builtin }));
  }

  async saveRule(rule: AlertRule, meta: { by: string; at: number }): Promise<void> {
    await this.ruleUpsert(rule, meta);
  }

  async saveRules(rules: AlertRule[], meta: { by: string; at: number }): Promise<void> {
    await this.prisma.$transaction(rules.map((rule) => this.ruleUpsert(rule, meta)));
  }

  private ruleUpsert(rule: AlertRule, meta: { by: string; at: number }) {
    const row = { definition: JSON.stringify(rule), builtin: rule.builtin, updatedAt: meta.at, updatedBy: meta.by };
    return this.prisma.alertRule.upsert({
      where: { id: rule.id },
      create: { id: rule.id, ...row },
      update: row,
      select: { id: true },
    });
  }

  async deleteRule(id: string): Promise<void> {
    await this.prisma.alertRule.deleteMany({ where: { id } });
  }

  async saveAlert(alert: Alert): Promise<void> {
    const { id, ...row } = alertToRow(alert);
    await this.prisma.alert.upsert({ where: { id }, create: { id, ...row }, update: row, select: { id: true } });
  }

  async deleteAlert(id: string): Promise<void> {
    await this.prisma.alert.deleteMany({ where: { id } });
  }

  async listAlerts(q: AlertQuery): Promise<Alert[]> {
    const and: Prisma.AlertWhereInput[] = [];
    if (q.states) and.push({ state: { in: q.states } });
    if (q.ruleId !== undefined) and.push({ ruleId: q.ruleId });
    if (q.rig !== undefined) and.push({ rig: q.rig });
    if (q.since !== undefined) and.push({ OR: [{ activeAt: { gte: q.since } }, { resolvedAt: { gte: q.since } }] });
    const rows = await this.prisma.alert.findMany({
      where: { AND: and },
      orderBy: [{ activeAt: 'desc' }, { id: 'desc' }],
      take: take(q.limit),
    });
    return rows.map(alertFromRow);
  }

  async saveSilence(silence: Silence): Promise<void> {
    const { id, ...row } = silenceToRow(silence);
    await this.prisma.silence.upsert({ where: { id }, create: { id, ...row }, update: row, select: { id: true } });
  }

  async listSilences(q: SilenceQuery): Promise<Silence[]> {
    const rows = await this.prisma.silence.findMany({
      where: q.notEndedAt === undefined ? {} : { endsAt: { gt: q.notEndedAt } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: take(q.limit),
    });
    return rows.map(silenceFromRow);
  }

  async prune(before: number): Promise<{ alerts: number; silences: number }> {
    const alerts = await this.prisma.alert.deleteMany({ where: { state: 'resolved', resolvedAt: { lt: before } } });
    const silences = await this.prisma.silence.deleteMany({ where: { endsAt: { lt: before } } });
    return { alerts: alerts.count, silences: silences.count };
  }
}
