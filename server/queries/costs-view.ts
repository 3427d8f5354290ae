/**
 * What `gt costs` prints and the costs page shows (contracts/costs.ts), summed from the
 * store's usage records. Cost of a model without a known price is reported as unknown,
 * never as zero.
 */
import type { CostGroup, CostRange, CostRow, CostsView } from '../../contracts/costs';
import { dayOf } from '../engine/costs';
import type { TownStore } from '../engine/ports';
import type { Town } from '../engine/town';

export async function costsView(town: Town, store: TownStore, by: CostGroup, range: CostRange): Promise<CostsView> {
  const now = town.clock.now();
  const since = dayOf(now - (range === 'week' ? 6 * 86_400_000 : 0));
  const usage = await store.listUsage({ since });
  const groups = new Map<string, CostRow>();
  for (const u of usage) {
    const key =
      by === 'agent'
        ? u.polecatId
        : by === 'rig'
          ? u.rig
          : by === 'convoy'
            ? (u.convoyId ?? '(none)')
            : by === 'model'
              ? u.model
              : u.day;
    const row = groups.get(key) ?? { key, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedTokens: 0 };
    row.inputTokens += u.inputTokens;
    row.outputTokens += u.outputTokens;
    if (u.costUsd === null) row.unpricedTokens += u.inputTokens + u.outputTokens;
    else row.costUsd += u.costUsd;
    groups.set(key, row);
  }
  // Runs of external agents that printed no usage lines: their share is unknown, not zero.
  const unmetered = await store.listEvents({
    types: ['agent.unmetered'],
    since: Date.parse(`${since}T00:00:00Z`),
    limit: 10_000,
  });
  const rows = [...groups.values()].sort((a, b) => b.costUsd - a.costUsd || a.key.localeCompare(b.key));
  const today = town.costs.todaySpend();
  const { dailyBudgetUsd, budgetAlertUsd } = town.settings;
  return {
    by,
    range,
    since,
    rows,
    total: rows.reduce((t, r) => ({ costUsd: t.costUsd + r.costUsd, tokens: t.tokens + r.inputTokens + r.outputTokens }), {
      costUsd: 0,
      tokens: 0,
    }),
    unmetered: {
      runs: unmetered.length,
      polecats: [...new Set(unmetered.map((e) => (e.data.type === 'agent.unmetered' ? e.data.polecat : '')))],
    },
    today: { ...today, costUsd: Math.round(today.costUsd * 10_000) / 10_000 },
    budget: {
      dailyBudgetUsd,
      alertThresholdUsd: budgetAlertUsd,
      usedFraction: dailyBudgetUsd ? today.costUsd / dailyBudgetUsd : null,
      overThreshold: budgetAlertUsd !== null && today.costUsd >= budgetAlertUsd,
    },
  };
}
