'use client';
/**
 * The rules: each with what it watches, its `for` and keep-firing-for durations and its
 * severity; operators edit thresholds and durations in place, enable or disable a rule,
 * add their own and put the seed's defaults back. Every change goes through the command
 * API (validated and audited); the server's refusal is shown as it is. Rule durations are
 * engine time (they describe the town's behaviour, like the seed's "queue > 5 for 10 min"),
 * and the panel says so when the engine runs faster than real time.
 */
import { useState, type FormEvent } from 'react';
import type { AlertRule, Comparison, Condition, Severity } from '@/contracts/alerts';
import { METRICS, type MetricName } from '@/contracts/metrics';
import { callCommand } from '@/lib/commands';
import { engineClockLabel, formatDuration } from '@/lib/format';
import { SEVERITY_STYLE } from './AlertBannerItem';
import { PANEL, PANEL_TITLE } from './AlertsShared';

const INPUT =
  'rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100';
const OPS: Comparison[] = ['>', '>=', '<', '<='];
const SEVERITIES: Severity[] = ['info', 'warning', 'critical'];
const UNIT_HINT: Record<string, string> = { ratio: '0–1', seconds: 's', usd: 'USD', per_hour: '/h', tokens: 'tokens', count: '' };

const minutes = (ms: number) => String(Math.round((ms / 60_000) * 100) / 100);
const fromMinutes = (text: string) => Math.round(Number(text) * 60_000);

function conditionText(rule: Pick<AlertRule, 'conditions' | 'match'>): string {
  return rule.conditions.map((c) => `${c.metric} ${c.op} ${c.threshold}`).join(rule.match === 'all' ? ' and ' : ' or ');
}

type Result = { ok: boolean; text: string } | null;

export function AlertsRulesEditor({
  rules,
  error,
  canAct,
  onChanged,
  timeScale,
}: {
  rules: AlertRule[] | null;
  error: string | null;
  canAct: boolean;
  onChanged: () => void;
  /** The engine's time scale (null: unknown). */
  timeScale: number | null;
}) {
  const clock = engineClockLabel(timeScale);
  const [editing, setEditing] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [result, setResult] = useState<Result>(null);

  const run = async (name: string, input: unknown, done: string): Promise<boolean> => {
    const r = await callCommand(name, input);
    setResult({ ok: r.ok, text: r.ok ? done : r.message });
    if (r.ok) onChanged();
    return r.ok;
  };

  return (
    <section className={PANEL} aria-label="Rules" data-testid="alerts-rules">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 className={PANEL_TITLE.replace('mb-3 ', '')}>Rules</h2>
        {canAct && (
          <div className="flex gap-2">
            <button
              type="button"
              className="rounded bg-sky-700 px-2 py-1 text-xs font-medium text-white hover:bg-sky-600"
              onClick={() => setCreating((v) => !v)}
            >
              New rule
            </button>
            <button
              type="button"
              className="rounded bg-slate-700 px-2 py-1 text-xs font-medium text-slate-100 hover:bg-slate-600"
              onClick={() => run('alert.rules.reset', {}, 'Default rules restored')}
            >
              Reset defaults
            </button>
          </div>
        )}
      </div>
      {clock && (
        <p className="mb-2 text-xs text-slate-500" data-testid="rules-clock">
          Durations here (for, keep firing) are {clock}: a 10 min “for” passes in {formatDuration(600_000 / (timeScale ?? 1))} of
          real time.
        </p>
      )}
      {error && <p className="text-sm text-rose-700 dark:text-rose-400">Rules unavailable: {error}</p>}
      {canAct && creating && (
        <NewRuleForm
          onCreate={(rule) => run('alert.rule.create', rule, `Rule ${rule.id} created`).then((ok) => ok && setCreating(false))}
        />
      )}
      <table className="w-full text-left text-sm">
        <thead className="text-xs text-slate-500">
          <tr>
            <th className="font-normal">rule</th>
            <th className="font-normal">when</th>
            <th className="font-normal">for</th>
            <th className="font-normal">keep firing</th>
            <th className="font-normal">per</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(rules ?? []).map((rule) =>
            editing === rule.id ? (
              <tr key={rule.id} data-testid={`rule-${rule.id}`}>
                <td colSpan={6}>
                  <RuleForm
                    rule={rule}
                    onCancel={() => setEditing(null)}
                    onSave={async (patch) => {
                      if (await run('alert.rule.update', { id: rule.id, ...patch }, `Rule ${rule.id} saved`)) setEditing(null);
                    }}
                    onDelete={
                      rule.builtin ? undefined : () => run('alert.rule.delete', { id: rule.id }, `Rule ${rule.id} deleted`)
                    }
                  />
                </td>
              </tr>
            ) : (
              <tr
                key={rule.id}
                className={`border-t border-slate-200 dark:border-slate-800 ${rule.enabled ? '' : 'opacity-50'}`}
                data-testid={`rule-${rule.id}`}
              >
                <td className="py-1.5" title={rule.description}>
                  <span className={`mr-2 rounded px-1 text-xs uppercase ${SEVERITY_STYLE[rule.severity].chip}`}>
                    {rule.severity}
                  </span>
                  {rule.name}
                  {!rule.enabled && <span className="ml-1 text-xs text-slate-500">(disabled)</span>}
                  {!rule.builtin && <span className="ml-1 text-xs text-slate-500">(custom)</span>}
                </td>
                <td>
                  <code className="text-xs" data-testid="rule-condition">
                    {conditionText(rule)}
                  </code>
                </td>
                <td>{rule.forMs === 0 ? 'at once' : formatDuration(rule.forMs)}</td>
                <td>{rule.keepFiringForMs === 0 ? '—' : formatDuration(rule.keepFiringForMs)}</td>
                <td>{rule.scope}</td>
                <td className="text-right">
                  {canAct && (
                    <button
                      type="button"
                      className="text-xs text-sky-700 hover:underline dark:text-sky-300"
                      onClick={() => setEditing(rule.id)}
                    >
                      Edit
                    </button>
                  )}
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
      {result && (
        <p
          role="status"
          className={`mt-2 text-sm ${result.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}`}
          data-testid="rules-result"
        >
          {result.text}
        </p>
      )}
    </section>
  );
}

function ConditionInputs({ conditions, onChange }: { conditions: Condition[]; onChange: (c: Condition[]) => void }) {
  return (
    <>
      {conditions.map((c, i) => (
        <span key={i} className="flex items-center gap-1">
          <code className="text-xs">{c.metric}</code>
          <select
            className={INPUT}
            aria-label={`${c.metric} comparison`}
            value={c.op}
            onChange={(e) => onChange(conditions.map((x, j) => (j === i ? { ...x, op: e.target.value as Comparison } : x)))}
          >
            {OPS.map((op) => (
              <option key={op}>{op}</option>
            ))}
          </select>
          <input
            className={`${INPUT} w-24`}
            type="number"
            step="any"
            aria-label={`${c.metric} threshold`}
            value={c.threshold}
            onChange={(e) => onChange(conditions.map((x, j) => (j === i ? { ...x, threshold: Number(e.target.value) } : x)))}
          />
          <span className="text-xs text-slate-500">{UNIT_HINT[METRICS[c.metric].unit]}</span>
        </span>
      ))}
    </>
  );
}

function RuleForm({
  rule,
  onSave,
  onCancel,
  onDelete,
}: {
  rule: AlertRule;
  onSave: (patch: Partial<AlertRule>) => void;
  onCancel: () => void;
  onDelete?: () => void;
}) {
  const [conditions, setConditions] = useState(rule.conditions);
  const [forMin, setForMin] = useState(minutes(rule.forMs));
  const [keepMin, setKeepMin] = useState(minutes(rule.keepFiringForMs));
  const [severity, setSeverity] = useState(rule.severity);
  const [enabled, setEnabled] = useState(rule.enabled);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSave({ conditions, forMs: fromMinutes(forMin), keepFiringForMs: fromMinutes(keepMin), severity, enabled });
  };
  return (
    <form
      onSubmit={submit}
      className="my-2 flex flex-wrap items-center gap-3 rounded border border-slate-300 p-3 dark:border-slate-700"
      aria-label={`Edit ${rule.name}`}
    >
      <strong className="w-full">{rule.name}</strong>
      <ConditionInputs conditions={conditions} onChange={setConditions} />
      <span className="text-xs text-slate-500">({rule.match === 'all' ? 'all must hold' : 'any may hold'})</span>
      <label className="text-xs text-slate-500">
        for (min){' '}
        <input
          className={`${INPUT} w-20`}
          type="number"
          min={0}
          step="any"
          value={forMin}
          onChange={(e) => setForMin(e.target.value)}
          aria-label="for (minutes)"
        />
      </label>
      <label className="text-xs text-slate-500">
        keep firing (min){' '}
        <input
          className={`${INPUT} w-20`}
          type="number"
          min={0}
          step="any"
          value={keepMin}
          onChange={(e) => setKeepMin(e.target.value)}
          aria-label="keep firing for (minutes)"
        />
      </label>
      <select className={INPUT} value={severity} onChange={(e) => setSeverity(e.target.value as Severity)} aria-label="severity">
        {SEVERITIES.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
      <label className="text-xs text-slate-500">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> enabled
      </label>
      <div className="ml-auto flex gap-2">
        {onDelete && (
          <button type="button" className="rounded bg-rose-800 px-2 py-1 text-xs text-white hover:bg-rose-700" onClick={onDelete}>
            Delete
          </button>
        )}
        <button
          type="button"
          className="rounded bg-slate-700 px-2 py-1 text-xs text-slate-100 hover:bg-slate-600"
          onClick={onCancel}
        >
          Cancel
        </button>
        <button type="submit" className="rounded bg-sky-700 px-2 py-1 text-xs font-medium text-white hover:bg-sky-600">
          Save
        </button>
      </div>
    </form>
  );
}

function NewRuleForm({ onCreate }: { onCreate: (rule: Record<string, unknown>) => void }) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'rig' | 'town'>('rig');
  const [metric, setMetric] = useState<MetricName>('queue_depth');
  const [condition, setCondition] = useState<Condition>({ metric: 'queue_depth', op: '>', threshold: 10 });
  const [forMin, setForMin] = useState('5');
  const [severity, setSeverity] = useState<Severity>('warning');
  const metrics = (Object.keys(METRICS) as MetricName[]).filter((m) => scope === 'town' || METRICS[m].scope === 'rig');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onCreate({ id, name, scope, severity, conditions: [{ ...condition, metric }], forMs: fromMinutes(forMin) });
  };
  return (
    <form
      onSubmit={submit}
      className="mb-3 flex flex-wrap items-center gap-2 rounded border border-sky-300 p-3 dark:border-sky-800"
      aria-label="New rule"
    >
      <input
        className={`${INPUT} w-44`}
        placeholder="id (queue-depth-high)"
        value={id}
        onChange={(e) => setId(e.target.value)}
        aria-label="rule id"
      />
      <input
        className={`${INPUT} w-56`}
        placeholder="Name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        aria-label="rule name"
      />
      <select className={INPUT} value={scope} onChange={(e) => setScope(e.target.value as 'rig' | 'town')} aria-label="scope">
        <option value="rig">per rig</option>
        <option value="town">town-wide</option>
      </select>
      <select className={INPUT} value={metric} onChange={(e) => setMetric(e.target.value as MetricName)} aria-label="metric">
        {metrics.map((m) => (
          <option key={m} value={m} title={METRICS[m].help}>
            {m}
          </option>
        ))}
      </select>
      <select
        className={INPUT}
        value={condition.op}
        onChange={(e) => setCondition({ ...condition, op: e.target.value as Comparison })}
        aria-label="comparison"
      >
        {OPS.map((op) => (
          <option key={op}>{op}</option>
        ))}
      </select>
      <input
        className={`${INPUT} w-24`}
        type="number"
        step="any"
        value={condition.threshold}
        onChange={(e) => setCondition({ ...condition, threshold: Number(e.target.value) })}
        aria-label="threshold"
      />
      <label className="text-xs text-slate-500">
        for (min){' '}
        <input
          className={`${INPUT} w-16`}
          type="number"
          min={0}
          step="any"
          value={forMin}
          onChange={(e) => setForMin(e.target.value)}
        />
      </label>
      <select
        className={INPUT}
        value={severity}
        onChange={(e) => setSeverity(e.target.value as Severity)}
        aria-label="new rule severity"
      >
        {SEVERITIES.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
      <button type="submit" className="rounded bg-sky-700 px-3 py-1 text-sm font-medium text-white hover:bg-sky-600">
        Create
      </button>
    </form>
  );
}
