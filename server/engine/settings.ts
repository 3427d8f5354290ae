/**
 * Town-wide settings: the Deacon's mode and cadences, the gate fast path, provider limits,
 * the daily budget. One book holds the current value; a change is persisted and announced
 * (`town.settings_changed`), and the roles that depend on it (the provider limiter, the
 * Deacon) follow that event.
 */
import type { EngineContext } from './context';
import type { TownSettings } from '../../contracts/records';

export const DEFAULT_TOWN_SETTINGS: TownSettings = {
  deaconMode: 'tiered',
  tierIntervalsMs: { hot: 30_000, warm: 120_000, cold: 600_000 },
  // About what the seed's numbers imply for one rig's patrol: ~30 s for 3 rigs in a row.
  rigPatrolMs: 10_000,
  coldPatrolMs: 2_000,
  gateFastPath: true,
  reescalateAfterMs: 4 * 3_600_000,
  providers: {},
  dailyBudgetUsd: null,
  budgetAlertUsd: null,
  // About what ten healthy polecats spend on a bead each, burned without a single edit.
  retryLoopTokens: 150_000,
};

export class TownSettingsBook {
  private value: TownSettings;

  constructor(
    private readonly ctx: EngineContext,
    stored: Partial<TownSettings> | null | undefined,
  ) {
    this.value = { ...DEFAULT_TOWN_SETTINGS, ...stored };
  }

  get current(): TownSettings {
    return this.value;
  }

  /** Changes town-wide settings; persisted, then announced. */
  update(patch: Partial<TownSettings>, by: string): TownSettings {
    this.value = { ...this.value, ...patch };
    const copy = structuredClone(this.value);
    void this.ctx.persistence.write((s) => s.saveTownSettings(copy));
    this.ctx.emit({ type: 'town.settings_changed', at: this.ctx.clock.now(), by });
    return this.value;
  }
}
