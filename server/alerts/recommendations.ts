/**
 * The seed's scaling strategies, matched to what an alert watches, so the alert carries
 * its remedy and the page offers it in one click:
 *
 *   queue consistently 5+        add Refinery workers (refinery.scale), or split the rig
 *   conflict rate over 20%       stagger dispatch or split the rig
 *   slow patrols / slow gates    tier the Deacon (deacon.configure mode=tiered), gate fast path
 *   over 15 polecats per Witness shorten its interval (witness.configure)
 *
 * Matched on the metrics a rule watches, not on its id, so an operator's own rule on
 * queue depth gets the same remedy. A command is offered only when the command API has
 * it; splitting a rig has no command yet, so it links to the rig's page.
 *
 * A remedy names the target it sets ("Scale Refinery workers 1 → 3") and sets it absolutely,
 * so two clicks set it once. Once the state it sets holds and the alert still fires, its
 * effect is awaited (`applied`): the alert carries it as pending rather than offering the
 * next step ("→ 5"), until it resolves or the rule's `for` (at least REMEDY_SETTLE_MS) has
 * passed again without it resolving. Kept on the alert, so every page and the CLI agree.
 */
import type { Town } from '../engine/town';
import type { Recommendation, AlertRule } from '../../contracts/alerts';

export interface RecommendContext {
  town: Town;
  /** Whether the command API offers this command. */
  hasCommand(name: string): boolean;
  /** What the alert carried at its last evaluation (an applied remedy stays pending). */
  previous?: readonly Recommendation[];
}

/** Least engine time an applied remedy is given to work before the next step is offered: a queue takes minutes to drain. */
export const REMEDY_SETTLE_MS = 10 * 60_000;

/** Upper bound on Refinery workers per rig (mirrors MAX_REFINERY_WORKERS in the engine). */
const MAX_WORKERS = 16;
/** The seed: past 15 polecats, shorten the Witness's 5-minute patrol proportionally. */
const POLECATS_PER_WITNESS = 15;
const DEFAULT_WITNESS_MS = 5 * 60_000;

export function recommend(rule: AlertRule, labels: Record<string, string>, ctx: RecommendContext): Recommendation[] {
  const watched = new Set(rule.conditions.map((c) => c.metric));
  const rig = labels.rig;
  const out: Recommendation[] = [];
  const command = (label: string, why: string, name: string, input: Record<string, unknown>) => {
    if (ctx.hasCommand(name)) out.push({ kind: 'command', label, why, command: name, input });
  };
  const link = (label: string, why: string, href: string) => out.push({ kind: 'link', label, why, href });
  const settings = ctx.town.settings;

  if (watched.has('queue_depth') && rig) {
    const workers = ctx.town.rigs.get(rig)?.settings.refineryWorkers;
    const before = ctx.previous?.find((r) => r.kind === 'command' && r.command === 'refinery.scale');
    const target = before?.kind === 'command' ? Number(before.input.workers) : NaN;
    const now = ctx.town.clock.now();
    if (workers !== undefined && before && workers >= target && (!before.applied || now < before.applied.until)) {
      out.push({
        ...before,
        applied: before.applied ?? {
          at: now,
          until: now + Math.max(rule.forMs, REMEDY_SETTLE_MS),
          status: `Scaling to ${target} — waiting for the queue to drain`,
        },
      });
    } else if (workers !== undefined && workers < MAX_WORKERS) {
      const to = Math.min(MAX_WORKERS, workers + 2);
      command(
        `Scale Refinery workers ${workers} → ${to}`,
        'A growing merge queue means polecats produce faster than the Refinery merges: add Refinery workers.',
        'refinery.scale',
        { rig, workers: to },
      );
    }
    link('Split the rig', 'A queue consistently at 5+ items is the sign to split the rig.', `/rigs/${encodeURIComponent(rig)}`);
  }
  if (watched.has('conflict_rate') && rig) {
    link(
      'Split the rig or stagger its convoys',
      'A conflict rate over 20% means agents step on each other: stagger dispatches in waves or split the rig.',
      `/rigs/${encodeURIComponent(rig)}`,
    );
  }
  if (watched.has('patrol_duration') || watched.has('gate_latency')) {
    if (settings.deaconMode === 'sequential') {
      command(
        'Tier the Deacon’s patrols',
        'One Deacon walking every rig in turn slows as rigs are added: hot rigs every 30 s, warm every 2 min, cold every 10 min.',
        'deacon.configure',
        { mode: 'tiered' },
      );
    }
    if (watched.has('gate_latency') && !settings.gateFastPath) {
      command(
        'Open gates on the fast path',
        'Gates open as soon as their condition holds, with patrols as the backstop.',
        'deacon.configure',
        { gateFastPath: true },
      );
    }
  }
  if (watched.has('witness_interval') && rig) {
    const polecats = ctx.town.polecats.list(rig).length;
    if (polecats > POLECATS_PER_WITNESS) {
      const intervalMs = Math.max(60_000, Math.round((DEFAULT_WITNESS_MS * POLECATS_PER_WITNESS) / polecats / 1_000) * 1_000);
      command(
        `Patrol every ${Math.round(intervalMs / 1_000)} s`,
        'Past 15 polecats per rig, reduce the Witness patrol interval proportionally (or split the rig).',
        'witness.configure',
        { rig, intervalMs },
      );
    }
  }
  if ((watched.has('polecat_max_silence') || watched.has('polecats_unresponsive') || watched.has('polecats_unhealthy')) && rig) {
    link('See the polecats', 'Nudge or restart the silent polecat from its rig’s page.', `/rigs/${encodeURIComponent(rig)}`);
  }
  return out;
}
