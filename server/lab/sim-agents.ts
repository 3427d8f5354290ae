/**
 * Modelled agents: an AgentRuntime whose sessions take a drawn amount of engine time and
 * tokens, edit regions chosen by the scripted agent's hotspot law (edit-plan.ts) in the
 * modelled git, and misbehave the way real coding agents do:
 *   - a fresh change breaks the checks with `failureRate` (a rework fixes it);
 *   - a session hangs (silent, no progress) with `stallRate`; a nudge revives it half of
 *     the time, otherwise the Witness's restart gives the polecat a fresh session;
 *   - every step first asks the town's provider limiter for room, so a tokens-per-minute
 *     cap throttles many polecats at once, as the seed warns past 20 agents.
 * Work time is log-normal (a median and a spread): most beads take about the median, a
 * few take several times longer, as agent sessions do.
 */
import type { Clock, TimerHandle } from '../engine/clock';
import type { AgentHandle, AgentOutcome, AgentRuntime, AgentSession } from '../engine/ports';
import { hashSeed, seededRandom, type Random } from '../engine/random';
import { planEdits } from '../agents/edit-plan';
import { regionKey, type SimGit } from './sim-git';
import type { AgentModel } from '../../contracts/lab';

/** Engine ms between signs of life: under the Witness's 3-minute heartbeat timeout, with room for rounding to a second. */
const STEP_MS = 150_000;
const MAX_PLANS = 20_000;
/** A nudge brings a hung session back this often (a real agent reads the nudge, or not). */
const NUDGE_REVIVES = 0.5;

/** A normal draw (Box-Muller), for the log-normal work time. */
function normal(random: Random): number {
  const u = 1 - random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface SimAgentOptions {
  clock: Clock;
  git: SimGit;
  /** Region files of each modelled repository, by repo path. */
  files: (repo: string) => Map<string, number>;
  model: AgentModel;
  /** The run's seed: sessions draw from it, so runs repeat exactly. */
  seed: number;
  /** Report token usage after every step (needed when a provider caps tokens per minute). */
  usageEveryStep?: boolean;
  modelName?: string;
}

interface SessionState {
  timer: TimerHandle | null;
  cancelled: boolean;
  hung: boolean;
  wake: (() => void) | null;
}

export class SimAgentRuntime implements AgentRuntime {
  /** Edit plans by bead, reused by its reworks (bounded: oldest dropped first). */
  private readonly plans = new Map<string, string[]>();
  /** Sessions at work, in start order (the pulse heartbeats them). */
  private readonly live = new Map<SessionState, AgentSession>();
  private pulseArmed = false;
  /** Sessions started per polecat: a restarted session draws afresh. */
  private readonly sessionsStarted = new Map<string, number>();
  stats = { sessions: 0, hangs: 0, revived: 0, broken: 0 };

  constructor(private readonly options: SimAgentOptions) {}

  start(session: AgentSession): AgentHandle {
    const n = (this.sessionsStarted.get(session.polecat.id) ?? 0) + 1;
    this.sessionsStarted.set(session.polecat.id, n);
    this.stats.sessions++;
    const random = seededRandom(
      hashSeed(`${this.options.seed}:${session.bead.id}:${session.attempt}:${session.polecat.id}:${n}`),
    );
    const st: SessionState = { timer: null, cancelled: false, hung: false, wake: null };
    const done = this.run(session, st, random);
    return {
      done,
      cancel: () => {
        st.cancelled = true;
        if (st.timer) this.options.clock.clearTimer(st.timer);
        st.wake?.();
      },
      alive: () => true,
      nudge: () => {
        if (st.hung && random.next() < NUDGE_REVIVES) {
          this.stats.revived++;
          st.hung = false;
          st.wake?.();
        }
      },
    };
  }

  /** The regions a bead edits: the same on every attempt (edit-plan is deterministic per bead), so planned once. */
  private editsOf(session: AgentSession): string[] {
    const key = `${session.rig.repoPath}|${session.bead.id}|${session.bead.paths.join(',')}`;
    let regions = this.plans.get(key);
    if (!regions) {
      const edits = planEdits(session.bead.id, session.bead.paths, this.options.files(session.rig.repoPath));
      regions = edits.map((e) => regionKey(e.file, e.region));
      this.plans.set(key, regions);
      if (this.plans.size > MAX_PLANS) this.plans.delete(this.plans.keys().next().value!);
    }
    return regions;
  }

  private sleep(st: SessionState, ms: number): Promise<void> {
    const { clock } = this.options;
    // Wake on a whole second: agents' steps then share instants, and the lab settles the
    // town once per instant rather than once per agent (a second is below what we model).
    const delay = Math.ceil((clock.now() + ms) / 1000) * 1000 - clock.now();
    return new Promise((resolve) => {
      st.wake = resolve;
      st.timer = clock.setTimer(delay, () => {
        st.timer = null;
        resolve();
      });
    });
  }

  /** Waits until nudged back to life or cancelled. */
  private hang(st: SessionState): Promise<void> {
    this.stats.hangs++;
    st.hung = true;
    return new Promise((resolve) => {
      st.wake = resolve;
    });
  }

  private async run(session: AgentSession, st: SessionState, random: Random): Promise<AgentOutcome> {
    const { model } = this.options;
    const work = model.workMedianMs * Math.exp(model.workSpread * normal(random));
    const total = session.mode === 'rework' ? work * model.reworkFraction : work;
    const hangAt = random.next() < model.stallRate ? random.next() * total : -1;
    const tokens = model.tokensPerBead * (total / work) * (0.5 + random.next());
    this.live.set(st, session);
    this.armPulse();
    try {
      const worked = this.options.usageEveryStep
        ? await this.workInSteps(session, st, total, hangAt, tokens)
        : await this.workAtOnce(session, st, total, hangAt, tokens);
      if (!worked) return { kind: 'cancelled' };
    } finally {
      this.live.delete(st);
    }
    return this.commit(session, random);
  }

  /**
   * Without a token cap the session is one sleep (split where it hangs), and the shared
   * pulse gives its signs of life: a thousand polecats cost one timer per pulse instead
   * of one per polecat per step.
   */
  private async workAtOnce(
    session: AgentSession,
    st: SessionState,
    total: number,
    hangAt: number,
    tokens: number,
  ): Promise<boolean> {
    await session.waitForCapacity();
    if (hangAt >= 0) {
      await this.sleep(st, hangAt);
      if (st.cancelled) return false;
      await this.hang(st);
      if (st.cancelled) return false;
    }
    await this.sleep(st, total - Math.max(0, hangAt));
    if (st.cancelled) return false;
    this.report(session, tokens);
    return true;
  }

  /** Under a tokens-per-minute cap the limiter must see usage as it happens: step by step. */
  private async workInSteps(
    session: AgentSession,
    st: SessionState,
    total: number,
    hangAt: number,
    tokens: number,
  ): Promise<boolean> {
    const steps = Math.max(1, Math.ceil(total / STEP_MS));
    const hangStep = hangAt < 0 ? -1 : Math.floor((hangAt / total) * steps);
    for (let step = 0; step < steps; step++) {
      await session.waitForCapacity();
      if (st.cancelled) return false;
      await this.sleep(st, total / steps);
      if (st.cancelled) return false;
      if (step === hangStep) {
        await this.hang(st);
        if (st.cancelled) return false;
      }
      this.report(session, tokens / steps);
    }
    return true;
  }

  private report(session: AgentSession, tokens: number): void {
    session.reportUsage({
      inputTokens: Math.round(tokens * 0.8),
      outputTokens: Math.round(tokens * 0.2),
      model: this.options.modelName ?? 'claude-sonnet-4-5',
    });
    session.progress();
  }

  /** Signs of life of every working session that is not hung, every STEP_MS. */
  private armPulse(): void {
    if (this.pulseArmed) return;
    this.pulseArmed = true;
    this.options.clock.setTimer(STEP_MS, () => {
      this.pulseArmed = false;
      for (const [st, session] of this.live) if (!st.hung && !st.cancelled) session.progress();
      if (this.live.size > 0) this.armPulse();
    });
  }

  private async commit(session: AgentSession, random: Random): Promise<AgentOutcome> {
    const { model, git } = this.options;
    const regions = this.editsOf(session);
    if (regions.length === 0) return { kind: 'failed', reason: 'no editable files in the bead paths' };
    const broken = session.mode === 'fresh' && random.next() < model.failureRate;
    if (broken) this.stats.broken++;
    git.edit(session.polecat.worktreePath, regions, broken);
    const head = await session.track(git.commitAll(session.polecat.worktreePath));
    if (!head) return { kind: 'failed', reason: 'the edits changed nothing' };
    session.progress();
    return { kind: 'committed', head };
  }
}
