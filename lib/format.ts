/** How the pages write durations: short and human. */

/** Engine milliseconds as "42 s", "3 min", "2 h 5 min" (rounded down; under a second is "0 s"). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
}

/**
 * Which clock the engine's times are on, in words, when it is not the wall clock: at
 * GT_TIME_SCALE=20 an axis tick of 09:06 can be 08:46 on the wall, and 20 min of engine
 * time is one real minute. Null at real time (scale 1) and when the scale is unknown.
 */
export function engineClockLabel(timeScale: number | null | undefined): string | null {
  return timeScale === null || timeScale === undefined || timeScale === 1 ? null : `engine time (×${timeScale})`;
}

/** "1 polecat", "3 polecats": counts read as words in summaries and confirmations. */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}

/**
 * A simulated span for comparing two of them: "42 s", "3 min 20 s" (under 10 min),
 * "25 min", "1.5 h". Never "0" for a real span: under a second is "< 1 s".
 */
export function formatSpan(ms: number): string {
  if (ms > 0 && ms < 1000) return '< 1 s';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 10) return s % 60 === 0 ? `${min} min` : `${min} min ${s % 60} s`;
  if (min < 60) return `${min} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
