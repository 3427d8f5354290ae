/**
 * The built-in scripted agent: a stand-in for a coding-agent CLI that makes the demo
 * town and the tests real. Given a bead, it "works" for a simulated time on the engine
 * clock (heartbeats and token usage along the way), really edits region files in the
 * polecat's worktree (see edit-plan.ts) and commits. Concurrent polecats that pick the
 * same region produce real git conflicts at the Refinery.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Clock, TimerHandle } from '../engine/clock';
import type { AgentHandle, AgentOutcome, AgentRuntime, AgentSession, GitPort, InjectedFailure } from '../engine/ports';
import { hashSeed, pickInt, seededRandom } from '../engine/random';
import { CHECK_FAIL_MARKER } from '../checks/demo-check';
import { regionCount, replaceRegion } from '../git/region-file';
import { planEdits, type RegionEdit } from './edit-plan';

export interface ScriptedAgentOptions {
  clock: Clock;
  git: GitPort;
  /** Work is split into this many steps, each with a heartbeat and a usage report. */
  steps?: number;
  /** A rework (re-applying edits on a new target) takes this fraction of the work time. */
  reworkFraction?: number;
  model?: string;
}

const SKIP_DIRS = new Set(['.git', 'node_modules']);

/** Engine ms between signs of life of a working scripted agent. */
const HEARTBEAT_EVERY_MS = 20_000;

/** Region files under `root` (relative paths) with their region counts. */
async function listRegionFiles(root: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      if (SKIP_DIRS.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const regions = regionCount(await fs.readFile(full, 'utf8'));
        if (regions > 0) found.set(path.relative(root, full).split(path.sep).join('/'), regions);
      }
    }
  }
  await walk(root);
  return found;
}

/** A running session's controls: cancellation and injected failures. */
interface SessionControl {
  cancelled: boolean;
  failure: InjectedFailure | null;
  alive: boolean;
  wake: (() => void) | null;
}

export class ScriptedAgentRuntime implements AgentRuntime {
  private readonly sessions = new Map<string, SessionControl>();
  /** Failures that survive restarts, per polecat. */
  private readonly sticky = new Map<string, InjectedFailure>();

  constructor(private readonly options: ScriptedAgentOptions) {}

  inject(polecatId: string, failure: InjectedFailure, sticky: boolean): void {
    if (sticky) this.sticky.set(polecatId, failure);
    const ctl = this.sessions.get(polecatId);
    if (ctl) ctl.failure = failure;
  }

  /** Clears a polecat's sticky failure (the operator fixed the agent). */
  heal(polecatId: string): void {
    this.sticky.delete(polecatId);
  }

  start(session: AgentSession): AgentHandle {
    const { clock } = this.options;
    const ctl: SessionControl = {
      cancelled: false,
      failure: this.sticky.get(session.polecat.id) ?? null,
      alive: true,
      wake: null,
    };
    this.sessions.set(session.polecat.id, ctl);
    let timer: TimerHandle | null = null;

    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        ctl.wake = resolve;
        timer = clock.setTimer(ms, resolve);
      });
    /** Waits until cancelled: a hung or dead agent never finishes on its own. */
    const forever = () =>
      new Promise<void>((resolve) => {
        ctl.wake = resolve;
      });

    const done = this.run(session, ctl, sleep, forever).finally(() => {
      if (this.sessions.get(session.polecat.id) === ctl) this.sessions.delete(session.polecat.id);
    });
    return {
      done,
      cancel: () => {
        ctl.cancelled = true;
        if (timer) clock.clearTimer(timer);
        ctl.wake?.();
      },
      alive: () => ctl.alive,
      nudge: () => {
        // A scripted agent has nobody to read the nudge; a real one gets a message in its session.
      },
    };
  }

  private async run(
    session: AgentSession,
    ctl: SessionControl,
    sleep: (ms: number) => Promise<void>,
    forever: () => Promise<void>,
  ): Promise<AgentOutcome> {
    const random = seededRandom(hashSeed(`${session.bead.id}#${session.attempt}`));
    const workMs = session.rig.settings.agentWorkMs * (0.5 + random.next());
    const total = session.mode === 'rework' ? workMs * (this.options.reworkFraction ?? 0.25) : workMs;
    // A live agent shows life often (output, tool calls): at least every HEARTBEAT_EVERY_MS.
    const steps = Math.max(this.options.steps ?? 3, Math.ceil(total / HEARTBEAT_EVERY_MS));
    const share = 3 / steps; // token usage per bead does not depend on how often it reports
    const usage = (scale: number) =>
      session.reportUsage({
        inputTokens: Math.round(pickInt(random, 1500, 6000) * scale * share),
        outputTokens: Math.round(pickInt(random, 200, 1500) * scale * share),
        model: this.options.model ?? 'claude-sonnet-4-5',
      });
    try {
      const files = await session.track(listRegionFiles(session.polecat.worktreePath));
      const edits = planEdits(session.bead.id, session.bead.paths, files);
      if (edits.length === 0) return { kind: 'failed', reason: 'no editable files in the bead paths' };
      for (let step = 0; step < steps || ctl.failure === 'loop'; step++) {
        await sleep(total / steps);
        if (ctl.cancelled) return { kind: 'cancelled' };
        if (ctl.failure === 'hang' || ctl.failure === 'die') {
          ctl.alive = ctl.failure !== 'die';
          await forever();
          return { kind: 'cancelled' };
        }
        session.heartbeat();
        if (ctl.failure === 'loop') {
          usage(3); // retrying the same broken step: tokens burn, nothing changes
          continue;
        }
        usage(1);
        session.progress();
      }
      // A fresh change is broken with the rig's failure rate; a rework after a rejection fixes it.
      const broken = session.mode === 'fresh' && random.next() < session.rig.settings.agentFailureRate;
      const head = await session.track(this.applyAndCommit(session, edits, broken));
      if (!head) return { kind: 'failed', reason: 'the edits changed nothing' };
      session.progress();
      return { kind: 'committed', head };
    } catch (err) {
      return { kind: 'failed', reason: err instanceof Error ? err.message : String(err) };
    }
  }

  private async applyAndCommit(session: AgentSession, edits: RegionEdit[], broken: boolean): Promise<string | null> {
    for (const [n, edit] of edits.entries()) {
      const file = path.join(session.polecat.worktreePath, edit.file);
      const content = await fs.readFile(file, 'utf8');
      const ident = `${session.bead.id.replace(/[^a-z0-9]/gi, '_')}_${edit.region}`;
      const lines = [
        `// ${session.bead.id}: ${session.bead.title.replace(/[\r\n]+/g, ' ').slice(0, 80)}`,
        `export const ${ident}_a = '${session.polecat.name}';`,
        `export const ${ident}_b = ${edit.region};`,
        // The demo check (server/checks/demo-check.ts) fails on this marker.
        broken && n === 0
          ? `export const ${ident}_c = '${CHECK_FAIL_MARKER}: simulated broken change';`
          : `export const ${ident}_c = true;`,
      ];
      await fs.writeFile(file, replaceRegion(content, edit.region, lines));
    }
    return this.options.git.commitAll(session.polecat.worktreePath, `${session.bead.id}: ${session.bead.title}`.slice(0, 200), {
      name: session.polecat.name,
      email: `${session.polecat.name}@${session.rig.name}.gastown`,
    });
  }
}
