/**
 * The alert state machine, as data plus one pure function (Prometheus's alerting rule
 * semantics). `inactive` is the normal state: no alert exists. Time is the engine clock's,
 * passed in, so tests step it exactly.
 */

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

/** The milestones of one alert episode (Prometheus `Alert`: ActiveAt, FiredAt, ResolvedAt, KeepFiringSince). */
export interface AlertTiming {
  state: AlertState;
  /** When the condition started holding (the episode began). */
  activeAt: number | null;
  firedAt: number | null;
  resolvedAt: number | null;
  /** While firing: when the condition stopped holding (keep-firing-for counts from here). */
  keepFiringSince: number | null;
}

export interface Holding {
  /** Engine ms the condition must hold before firing. */
  forMs: number;
  /** Engine ms an alert keeps firing after its condition stopped holding. */
  keepFiringForMs: number;
}

export const INACTIVE: AlertTiming = {
  state: 'inactive',
  activeAt: null,
  firedAt: null,
  resolvedAt: null,
  keepFiringSince: null,
};

/**
 * One evaluation: the alert's timing, whether the condition holds now, the time.
 *
 * | state    | holds | when                                    | next                                        |
 * |----------|-------|-----------------------------------------|---------------------------------------------|
 * | inactive | no    |                                         | inactive                                    |
 * | inactive | yes   | for = 0                                 | firing   (activeAt = firedAt = now)         |
 * | inactive | yes   | for > 0                                 | pending  (activeAt = now)                   |
 * | pending  | yes   | now - activeAt >= for                   | firing   (firedAt = now)                    |
 * | pending  | yes   | otherwise                               | pending                                     |
 * | pending  | no    |                                         | inactive (a blip: it never fired)           |
 * | firing   | yes   |                                         | firing   (keepFiringSince = null)           |
 * | firing   | no    | now - keepFiringSince < keepFiringFor   | firing   (keepFiringSince = first miss)     |
 * | firing   | no    | otherwise                               | resolved (resolvedAt = now)                 |
 * | resolved | no    |                                         | resolved                                    |
 * | resolved | yes   |                                         | as inactive: a new episode begins           |
 */
export function evaluate(timing: AlertTiming, holds: boolean, now: number, rule: Holding): AlertTiming {
  switch (timing.state) {
    case 'inactive':
    case 'resolved': {
      if (!holds) return timing;
      const fresh = { ...INACTIVE, activeAt: now };
      return rule.forMs <= 0 ? { ...fresh, state: 'firing', firedAt: now } : { ...fresh, state: 'pending' };
    }
    case 'pending': {
      if (!holds) return INACTIVE;
      return now - timing.activeAt! >= rule.forMs ? { ...timing, state: 'firing', firedAt: now } : timing;
    }
    case 'firing': {
      if (holds) return timing.keepFiringSince === null ? timing : { ...timing, keepFiringSince: null };
      const since = timing.keepFiringSince ?? now;
      if (now - since < rule.keepFiringForMs) return { ...timing, keepFiringSince: since };
      return { ...timing, state: 'resolved', resolvedAt: now, keepFiringSince: null };
    }
  }
}
