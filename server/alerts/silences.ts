/**
 * Silences, as in Alertmanager: matchers on an alert's labels (plus `rule` and
 * `severity`), a reason, an author and an end. A silence in force mutes its alerts: no
 * banner, no webhook; the alert itself still moves through its states and is recorded.
 * An ended silence stops applying at once.
 */
import { z } from 'zod';
import { line, TEXT_LIMITS } from '../../contracts/text';
import type { Alert, Silence, SilenceMatcher } from '../../contracts/alerts';

/** The labels a silence can match: the alert's own, plus its rule and severity. */
export function matchableLabels(alert: Pick<Alert, 'ruleId' | 'severity' | 'labels'>): Record<string, string> {
  return { ...alert.labels, rule: alert.ruleId, severity: alert.severity };
}

export function silenceMatches(matchers: SilenceMatcher[], alert: Pick<Alert, 'ruleId' | 'severity' | 'labels'>): boolean {
  const labels = matchableLabels(alert);
  return matchers.length > 0 && matchers.every((m) => labels[m.name] === m.value);
}

export function isInForce(silence: Silence, now: number): boolean {
  return silence.startsAt <= now && now < silence.endsAt;
}

/** The silence in force that mutes this alert, if any (the one ending last). */
export function silencing(
  alert: Pick<Alert, 'ruleId' | 'severity' | 'labels'>,
  silences: Iterable<Silence>,
  now: number,
): Silence | undefined {
  let found: Silence | undefined;
  for (const s of silences) {
    if (isInForce(s, now) && silenceMatches(s.matchers, alert) && (!found || s.endsAt > found.endsAt)) found = s;
  }
  return found;
}

/** Matchers that silence exactly this alert: its rule and its labels. */
export function matchersFor(alert: Pick<Alert, 'ruleId' | 'labels'>): SilenceMatcher[] {
  return [{ name: 'rule', value: alert.ruleId }, ...Object.entries(alert.labels).map(([name, value]) => ({ name, value }))];
}

export const MAX_SILENCE_MS = 30 * 24 * 3_600_000;

export const SilenceInputSchema = z
  .strictObject({
    /** Silence one alert: its rule and labels become the matchers. */
    alertId: line({ max: TEXT_LIMITS.id, min: 1 }).optional(),
    matchers: z
      .array(
        z.strictObject({
          name: line({ max: 40 }).regex(/^[a-z][a-z0-9_]{0,39}$/, 'a matcher name is a label such as rule, rig or severity'),
          value: line({ max: TEXT_LIMITS.matcher, min: 1 }),
        }),
      )
      .min(1, 'a silence needs at least one matcher')
      .max(10)
      // Two values for one label can never both match: such a silence would mute nothing.
      .refine((ms) => new Set(ms.map((m) => m.name)).size === ms.length, 'each label can be matched once')
      .optional(),
    reason: line({
      max: TEXT_LIMITS.reason,
      min: 3,
      minMessage: 'a silence needs a reason (at least 3 characters)',
      trim: true,
    }),
    durationMs: z
      .number({ error: 'durationMs must be a number of milliseconds' })
      .int('durationMs must be a whole number of milliseconds')
      .min(60_000, 'a silence lasts at least 1 minute')
      .max(MAX_SILENCE_MS, 'a silence lasts at most 30 days'),
  })
  .refine((v) => (v.alertId === undefined) !== (v.matchers === undefined), {
    message: 'give either alertId (silence that alert) or matchers, not both',
  });

export type SilenceInput = z.output<typeof SilenceInputSchema>;
