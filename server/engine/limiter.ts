/**
 * API provider limits, town-wide: concurrent agent sessions and tokens per minute per
 * provider. At 20+ agents a provider's caps stall many agents at once, which looks like
 * ordinary stalls; here a polecat waiting on a cap is `throttled` (and the Witness leaves
 * it alone), and the waiting is measured: how many waits, how long, how many at once.
 *
 * Sessions are granted first come, first served. The token window is a sliding minute on
 * the engine clock; a waiter is woken when the oldest usage leaves the window.
 */
import type { Clock } from './clock';
import type { ProviderLimits } from '../../contracts/records';
import { percentile } from './stats';

const WINDOW_MS = 60_000;

interface ProviderState {
  sessions: Set<string>;
  queue: Array<{ polecat: string; grant: () => void }>;
  tokens: Array<{ at: number; n: number }>;
  tokenWaiters: Array<() => void>;
  wakeScheduled: boolean;
}

export interface LimiterStats {
  provider: string;
  limits: ProviderLimits;
  sessions: number;
  waitingForSession: number;
  waitingForTokens: number;
  tokensLastMinute: number;
  throttles: number;
  waitMs: { total: number; p95: number | null; sample: number };
}

export class ProviderLimiter {
  private readonly providers = new Map<string, ProviderState>();
  private readonly waits: Array<{ provider: string; ms: number }> = [];
  private readonly throttles = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: (provider: string) => ProviderLimits,
  ) {}

  private state(provider: string): ProviderState {
    let s = this.providers.get(provider);
    if (!s) {
      s = { sessions: new Set(), queue: [], tokens: [], tokenWaiters: [], wakeScheduled: false };
      this.providers.set(provider, s);
    }
    return s;
  }

  /**
   * A session slot for the polecat. Resolves at once when one is free; otherwise calls
   * `onWait` (the polecat is now throttled) and resolves when a slot is granted.
   */
  acquireSession(provider: string, polecat: string, onWait: () => void): Promise<void> {
    const s = this.state(provider);
    const { maxSessions } = this.limits(provider);
    if (s.sessions.has(polecat) || maxSessions === null || s.sessions.size < maxSessions) {
      s.sessions.add(polecat);
      return Promise.resolve();
    }
    onWait();
    const since = this.clock.now();
    this.countThrottle(provider);
    return new Promise((resolve) => {
      s.queue.push({
        polecat,
        grant: () => {
          s.sessions.add(polecat);
          this.recordWait(provider, this.clock.now() - since);
          resolve();
        },
      });
    });
  }

  /** Frees the polecat's slot (its session ended) and grants it to the next in line. */
  releaseSession(provider: string, polecat: string): void {
    const s = this.state(provider);
    s.queue = s.queue.filter((w) => w.polecat !== polecat);
    if (!s.sessions.delete(polecat)) return;
    this.grantWaiting(provider);
  }

  /** Limits changed: grant whatever now fits. */
  limitsChanged(): void {
    for (const provider of this.providers.keys()) {
      this.grantWaiting(provider);
      this.wakeTokenWaiters(provider);
    }
  }

  private grantWaiting(provider: string): void {
    const s = this.state(provider);
    const { maxSessions } = this.limits(provider);
    while (s.queue.length > 0 && (maxSessions === null || s.sessions.size < maxSessions)) s.queue.shift()!.grant();
  }

  recordTokens(provider: string, n: number): void {
    this.state(provider).tokens.push({ at: this.clock.now(), n });
  }

  tokensLastMinute(provider: string): number {
    const s = this.state(provider);
    const since = this.clock.now() - WINDOW_MS;
    while (s.tokens.length > 0 && s.tokens[0].at < since) s.tokens.shift();
    return s.tokens.reduce((sum, t) => sum + t.n, 0);
  }

  /** Resolves when the provider's last minute has room; `onWait` when it has to wait. */
  waitForTokens(provider: string, onWait: () => void): Promise<void> {
    const { tokensPerMinute } = this.limits(provider);
    if (tokensPerMinute === null || this.tokensLastMinute(provider) < tokensPerMinute) return Promise.resolve();
    onWait();
    this.countThrottle(provider);
    const since = this.clock.now();
    return new Promise((resolve) => {
      this.state(provider).tokenWaiters.push(() => {
        this.recordWait(provider, this.clock.now() - since);
        resolve();
      });
      this.scheduleWake(provider);
    });
  }

  private scheduleWake(provider: string): void {
    const s = this.state(provider);
    if (s.wakeScheduled || s.tokens.length === 0) return;
    s.wakeScheduled = true;
    // The window frees up when its oldest usage is a minute old.
    const at = s.tokens[0].at + WINDOW_MS;
    this.clock.setTimer(Math.max(1, at - this.clock.now()), () => {
      s.wakeScheduled = false;
      this.wakeTokenWaiters(provider);
    });
  }

  private wakeTokenWaiters(provider: string): void {
    const s = this.state(provider);
    const { tokensPerMinute } = this.limits(provider);
    while (s.tokenWaiters.length > 0 && (tokensPerMinute === null || this.tokensLastMinute(provider) < tokensPerMinute)) {
      s.tokenWaiters.shift()!();
    }
    if (s.tokenWaiters.length > 0) this.scheduleWake(provider);
  }

  private countThrottle(provider: string): void {
    this.throttles.set(provider, (this.throttles.get(provider) ?? 0) + 1);
  }

  private recordWait(provider: string, ms: number): void {
    this.waits.push({ provider, ms });
    if (this.waits.length > 2_000) this.waits.shift();
  }

  stats(): LimiterStats[] {
    return [...this.providers.entries()].map(([provider, s]) => {
      const waits = this.waits.filter((w) => w.provider === provider).map((w) => w.ms);
      return {
        provider,
        limits: this.limits(provider),
        sessions: s.sessions.size,
        waitingForSession: s.queue.length,
        waitingForTokens: s.tokenWaiters.length,
        tokensLastMinute: this.tokensLastMinute(provider),
        throttles: this.throttles.get(provider) ?? 0,
        waitMs: { total: waits.reduce((a, b) => a + b, 0), p95: percentile(waits, 95), sample: waits.length },
      };
    });
  }
}
