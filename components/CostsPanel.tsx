'use client';
/**
 * Tokens and what they cost: grouped by agent, rig, convoy, model or day, over today or
 * the week; today's spend against the daily budget and its alert threshold, with the form
 * that sets them. Tokens of a model with no known price are "unknown", never $0.
 */
import Link from 'next/link';
import { useId, useState, type FormEvent } from 'react';
import type { CostGroup, CostRange, CostRow, CostsView } from '@/contracts/costs';
import type { TownOverview } from '@/contracts/town';
import { callCommand } from '@/lib/commands';
import { useCanAct } from '@/lib/session';
import { BUTTON, INPUT, LINK, PageHeader, PANEL, PANEL_TITLE, StaleNotice } from './ConvoyParts';
import type { Connection } from './useTownStream';
import { useBrowserNow, useLiveJson, useLiveQuery } from './useConvoyFeed';

const GROUPS: Array<{ by: CostGroup; label: string }> = [
  { by: 'agent', label: 'Agent' },
  { by: 'rig', label: 'Rig' },
  { by: 'convoy', label: 'Convoy' },
  { by: 'model', label: 'Model' },
  { by: 'day', label: 'Day' },
];
const RANGES: Array<{ range: CostRange; label: string }> = [
  { range: 'today', label: 'Today' },
  { range: 'week', label: 'Last 7 days' },
];

export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export const formatTokens = (n: number) => n.toLocaleString('en-US');

/** A cost that may be partly unknown: priced usage in USD, plus a note for unpriced tokens. */
export function CostAmount({ costUsd, unpricedTokens }: { costUsd: number; unpricedTokens: number }) {
  if (unpricedTokens > 0 && costUsd === 0) {
    return (
      <span className="text-amber-300" title={`${formatTokens(unpricedTokens)} tokens of models with no known price`}>
        unknown
      </span>
    );
  }
  return (
    <span>
      {formatUsd(costUsd)}
      {unpricedTokens > 0 && (
        <span className="text-amber-300" title={`${formatTokens(unpricedTokens)} tokens of models with no known price`}>
          {' '}
          + unknown
        </span>
      )}
    </span>
  );
}

/** The costs page: the breakdown, today against the budget, and the budget form. */
export function CostsPage() {
  const [by, setBy] = useState<CostGroup>('agent');
  const [range, setRange] = useState<CostRange>('today');
  const url = `/api/costs?by=${by}&range=${range}`;
  const query = useLiveQuery<CostsView>(url, 2_000);
  const canAct = useCanAct();
  const browserNow = useBrowserNow();
  const { data: costs, live } = query;

  return (
    <main className="mx-auto max-w-7xl space-y-6 p-6">
      <PageHeader
        back={{ href: '/', label: 'Town overview' }}
        title="Costs"
        subtitle="Tokens and spend by agent, rig, convoy, model and day"
        query={query}
        browserNow={browserNow}
      />
      {!costs ? (
        <p className={query.error ? 'text-rose-700 dark:text-rose-400' : 'text-slate-500'} data-testid="loading">
          {query.error ? `Costs unavailable: ${query.error.message}` : 'Loading costs…'}
        </p>
      ) : (
        <>
          <StaleNotice query={query} />
          <div className={`grid gap-4 lg:grid-cols-3 ${live || query.dataUrl !== url ? '' : 'opacity-60'}`}>
            <section className={`${PANEL} self-start lg:col-span-2`} aria-label="Costs breakdown">
              <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
                <Segmented
                  label="Group by"
                  options={GROUPS.map((g) => ({ value: g.by, label: g.label }))}
                  value={by}
                  onChange={setBy}
                  testId="costs-by"
                />
                <Segmented
                  label="Range"
                  options={RANGES.map((r) => ({ value: r.range, label: r.label }))}
                  value={range}
                  onChange={setRange}
                  testId="costs-range"
                />
              </div>
              <div className={query.dataUrl === url ? '' : 'opacity-50'} aria-busy={query.dataUrl !== url}>
                <CostsTable costs={costs} />
              </div>
            </section>
            <div className="space-y-4">
              <section className={PANEL} aria-label="Today against the budget">
                <h2 className={PANEL_TITLE}>Today · {costs.today.day}</h2>
                <BudgetBar costs={costs} />
              </section>
              {canAct && (
                <section className={PANEL} aria-label="Budget">
                  <h2 className={PANEL_TITLE}>Daily budget</h2>
                  <BudgetForm budget={costs.budget} onChanged={query.refresh} />
                </section>
              )}
            </div>
          </div>
        </>
      )}
    </main>
  );
}

function Segmented<V extends string>({
  label,
  options,
  value,
  onChange,
  testId,
}: {
  label: string;
  options: Array<{ value: V; label: string }>;
  value: V;
  onChange: (v: V) => void;
  testId: string;
}) {
  return (
    <div
      role="tablist"
      aria-label={label}
      className="inline-flex rounded-md bg-slate-100 p-0.5 dark:bg-slate-800"
      data-testid={testId}
    >
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          role="tab"
          aria-selected={o.value === value}
          onClick={() => onChange(o.value)}
          className={`rounded px-2.5 py-1 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 ${
            o.value === value
              ? 'bg-white text-slate-900 shadow dark:bg-slate-600 dark:text-white'
              : 'text-slate-500 hover:text-slate-800 dark:hover:text-slate-200'
          }`}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

function keyCell(by: CostGroup, key: string) {
  if (by === 'rig')
    return (
      <Link href={`/rigs/${encodeURIComponent(key)}`} className={LINK}>
        {key}
      </Link>
    );
  if (by === 'convoy' && key !== '(none)')
    return (
      <Link href={`/convoys/${encodeURIComponent(key)}`} className={LINK}>
        {key}
      </Link>
    );
  return key;
}

function CostsTable({ costs }: { costs: CostsView }) {
  const label = GROUPS.find((g) => g.by === costs.by)?.label ?? costs.by;
  if (costs.rows.length === 0) {
    return (
      <>
        <UnmeteredNote costs={costs} />
        <p className="text-sm text-slate-500" data-testid="costs-empty">
          No {costs.unmetered.runs > 0 ? 'reported ' : ''}token usage {costs.range === 'today' ? 'today' : 'in the last 7 days'}{' '}
          yet.
        </p>
      </>
    );
  }
  const unpriced = costs.rows.reduce((n, r) => n + r.unpricedTokens, 0);
  const maxTokens = Math.max(...costs.rows.map((r) => r.inputTokens + r.outputTokens), 1);
  return (
    <div className="max-h-[32rem] overflow-auto">
      <UnmeteredNote costs={costs} />
      <table className="w-full text-sm" data-testid="costs-table" data-by={costs.by} data-range={costs.range}>
        <thead className="sticky top-0 bg-white text-left text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-900">
          <tr>
            <th className="py-1 pr-3 font-medium">{label}</th>
            <th className="py-1 pr-3 text-right font-medium">Input tokens</th>
            <th className="py-1 pr-3 text-right font-medium">Output tokens</th>
            <th className="w-40 py-1 pr-3 font-medium">Tokens</th>
            <th className="py-1 text-right font-medium">Cost</th>
          </tr>
        </thead>
        <tbody className="tabular-nums">
          {costs.rows.map((r: CostRow) => {
            const tokens = r.inputTokens + r.outputTokens;
            return (
              <tr
                key={r.key}
                className="border-t border-slate-200 dark:border-slate-800"
                data-testid="costs-row"
                data-key={r.key}
              >
                <td className="max-w-xs truncate py-1.5 pr-3 font-mono text-xs">{keyCell(costs.by, r.key)}</td>
                <td className="py-1.5 pr-3 text-right">{formatTokens(r.inputTokens)}</td>
                <td className="py-1.5 pr-3 text-right">{formatTokens(r.outputTokens)}</td>
                <td className="py-1.5 pr-3">
                  <div
                    className="h-1.5 w-full rounded-full bg-slate-200 dark:bg-slate-800"
                    title={`${formatTokens(tokens)} tokens`}
                  >
                    <div className="h-full rounded-full bg-sky-500" style={{ width: `${(tokens / maxTokens) * 100}%` }} />
                  </div>
                </td>
                <td className="py-1.5 text-right">
                  <CostAmount costUsd={r.costUsd} unpricedTokens={r.unpricedTokens} />
                </td>
              </tr>
            );
          })}
        </tbody>
        <tfoot className="tabular-nums">
          <tr className="border-t-2 border-slate-300 font-semibold dark:border-slate-700" data-testid="costs-total">
            <td className="py-1.5 pr-3">
              Total · {costs.rows.length} {costs.rows.length === 1 ? 'row' : 'rows'}
            </td>
            <td className="py-1.5 pr-3 text-right">{formatTokens(costs.rows.reduce((n, r) => n + r.inputTokens, 0))}</td>
            <td className="py-1.5 pr-3 text-right">{formatTokens(costs.rows.reduce((n, r) => n + r.outputTokens, 0))}</td>
            <td className="py-1.5 pr-3 text-xs font-normal text-slate-500">{formatTokens(costs.total.tokens)} tokens</td>
            <td className="py-1.5 text-right">
              <CostAmount costUsd={costs.total.costUsd} unpricedTokens={unpriced} />
            </td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/** Agent runs that reported no usage: the totals leave them out, and say so. */
function UnmeteredNote({ costs }: { costs: CostsView }) {
  if (costs.unmetered.runs === 0) return null;
  return (
    <p className="mb-2 text-sm text-amber-300" data-testid="costs-unmetered">
      + unknown: {costs.unmetered.runs} agent {costs.unmetered.runs === 1 ? 'run' : 'runs'} reported no usage (
      {costs.unmetered.polecats.join(', ')}); see docs/agents.md for the usage line protocol.
    </p>
  );
}

/** Today's spend as a bar against the daily budget, with the alert threshold marked. */
function BudgetBar({ costs, compact }: { costs: CostsView; compact?: boolean }) {
  const { today, budget } = costs;
  const limit = budget.dailyBudgetUsd;
  const threshold = budget.alertThresholdUsd;
  const over = limit !== null && today.costUsd >= limit;
  const fill = over ? 'bg-rose-500' : budget.overThreshold ? 'bg-amber-500' : 'bg-emerald-500';
  const scale = limit ?? (threshold !== null ? threshold * 1.25 : null);
  return (
    <div className="space-y-2" data-testid="budget-bar" data-over-threshold={budget.overThreshold} data-over-budget={over}>
      <div className="flex items-baseline justify-between gap-2">
        <span className={`${compact ? 'text-2xl' : 'text-3xl'} font-semibold tabular-nums`} data-testid="spend-today">
          <CostAmount costUsd={today.costUsd} unpricedTokens={today.unpricedTokens} />
        </span>
        <span className="text-sm text-slate-500 tabular-nums">
          {limit === null ? 'no daily budget' : `of ${formatUsd(limit)}`}
          {limit !== null && ` · ${Math.round((today.costUsd / limit) * 100)}%`}
        </span>
      </div>
      {scale !== null && scale > 0 && (
        <div className="relative h-2.5 rounded-full bg-slate-200 dark:bg-slate-800">
          <div
            className={`h-full rounded-full ${fill} transition-[width] duration-500`}
            style={{ width: `${Math.min(100, (today.costUsd / scale) * 100)}%` }}
          />
          {threshold !== null && threshold <= scale && (
            <div
              className="absolute -top-1 h-4.5 w-0.5 bg-amber-300"
              style={{ left: `${(threshold / scale) * 100}%` }}
              title={`alert at ${formatUsd(threshold)}`}
            />
          )}
        </div>
      )}
      <div className="text-xs text-slate-500 tabular-nums">
        {formatTokens(today.tokens)} tokens today
        {today.unpricedTokens > 0 && ` (${formatTokens(today.unpricedTokens)} unpriced)`}
        {threshold !== null && (
          <span className={budget.overThreshold ? 'font-medium text-amber-700 dark:text-amber-400' : ''}>
            {' '}
            · alert at {formatUsd(threshold)}
            {budget.overThreshold && ' — crossed'}
          </span>
        )}
      </div>
    </div>
  );
}

/** Sets the daily budget and its alert threshold; an empty field clears it. The server validates. */
function BudgetForm({ budget, onChanged }: { budget: CostsView['budget']; onChanged: () => void }) {
  const [budgetDraft, setBudgetDraft] = useState<string | null>(null);
  const [thresholdDraft, setThresholdDraft] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const id = useId();
  const budgetValue = budgetDraft ?? (budget.dailyBudgetUsd === null ? '' : String(budget.dailyBudgetUsd));
  const thresholdValue = thresholdDraft ?? (budget.alertThresholdUsd === null ? '' : String(budget.alertThresholdUsd));
  const amount = (text: string) => (text.trim() === '' ? null : Number(text));

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (pending) return;
    setPending(true);
    setResult(null);
    const r = await callCommand('costs.budget', {
      dailyBudgetUsd: amount(budgetValue),
      alertThresholdUsd: amount(thresholdValue),
    });
    setPending(false);
    if (r.ok) {
      const saved = r.data as { dailyBudgetUsd: number | null; alertThresholdUsd: number | null };
      setBudgetDraft(null);
      setThresholdDraft(null);
      setResult({
        ok: true,
        text: `Saved: budget ${saved.dailyBudgetUsd === null ? 'none' : formatUsd(saved.dailyBudgetUsd)}, alert ${
          saved.alertThresholdUsd === null ? 'none' : `at ${formatUsd(saved.alertThresholdUsd)}`
        }`,
      });
    } else setResult({ ok: false, text: r.message });
    onChanged();
  }

  const label = 'block text-xs uppercase tracking-wide text-slate-500';
  return (
    <form onSubmit={submit} noValidate className="space-y-3" aria-label="Set the daily budget">
      <div className="grid grid-cols-2 gap-3">
        <div>
          <label htmlFor={`${id}-budget`} className={label}>
            Budget per day (USD)
          </label>
          <input
            id={`${id}-budget`}
            type="number"
            min={0}
            step="0.01"
            inputMode="decimal"
            placeholder="none"
            value={budgetValue}
            onChange={(e) => setBudgetDraft(e.target.value)}
            className={`${INPUT} w-full`}
            data-testid="budget-input"
          />
        </div>
        <div>
          <label htmlFor={`${id}-alert`} className={label}>
            Alert at (USD)
          </label>
          <input
            id={`${id}-alert`}
            type="number"
            min={0}
            step="0.01"
            inputMode="decimal"
            placeholder="none"
            value={thresholdValue}
            onChange={(e) => setThresholdDraft(e.target.value)}
            className={`${INPUT} w-full`}
            data-testid="threshold-input"
          />
        </div>
      </div>
      <div className="flex items-center gap-3">
        <button type="submit" disabled={pending} className={BUTTON} data-testid="budget-save">
          {pending ? 'Saving…' : 'Save'}
        </button>
        <span className="text-xs text-slate-500">An empty field means none.</span>
      </div>
      <p
        role="status"
        aria-live="polite"
        data-testid="budget-result"
        className={`min-h-5 text-sm ${result === null ? '' : result.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}`}
      >
        {result?.text}
      </p>
    </form>
  );
}

/** The overview's costs tile: today's spend against the budget, linking to the costs page. */
export function CostsTile({ overview, connection }: { overview: TownOverview | null; connection: Connection }) {
  const costs = useLiveJson<CostsView>('/api/costs?by=day&range=today', overview, 5_000);
  const current = connection === 'live' && costs.error === null;
  return (
    <section className={PANEL} aria-label="Costs today" data-testid="costs-tile">
      <div className="mb-2 flex items-baseline justify-between">
        <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-500">Cost today</h2>
        <Link href="/costs" className={`text-sm ${LINK}`} data-testid="costs-link">
          Costs →
        </Link>
      </div>
      {!costs.data ? (
        <p className="text-sm text-slate-500">{costs.error ? `Costs unavailable: ${costs.error.message}` : 'Loading…'}</p>
      ) : (
        <div className={current ? '' : 'opacity-60'}>
          <BudgetBar costs={costs.data} compact />
          {!current && <p className="mt-1 text-xs text-rose-300">Not updating: {costs.error?.message ?? 'disconnected'}</p>}
        </div>
      )}
    </section>
  );
}
