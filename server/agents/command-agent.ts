/**
 * External coding agents as polecats: a preset CLI (Claude Code, Codex, ...) or the
 * operator's own command, started in the polecat's worktree with the bead as data
 * (bead-handoff.ts) and an argument array (presets.ts), in its own process group.
 *
 *   spawn ──> running ──exit 0, branch ahead of target──> committed (a merge request)
 *                │   └──exit 0, nothing new / exit ≠ 0──> failed (retried, then escalated)
 *                ├──timeout──> killed ──> failed
 *                └──cancel (Witness restart, stop)──> killed ──> cancelled
 *
 * While it runs: any output is a heartbeat; a change of the worktree (edits, commits,
 * seen by polling `git status` and the branch head) is progress; `GT_USAGE` lines are
 * usage (usage-protocol.ts). Output goes to the polecat's rotated log (agent-log.ts).
 * Real processes take real time: timeouts and polls here are wall-clock timers, outside
 * the engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { clip as clipText } from '../../contracts/text';
import type { AgentSpec } from '../../contracts/records';
import type { AgentHandle, AgentOutcome, AgentRuntime, AgentSession } from '../engine/ports';
import { runGit } from '../git/run-git';
import { townSandbox, type Sandbox, type SandboxedStart } from '../spawner/sandbox';
import { AgentLog, DEFAULT_LOG_BYTES, polecatAgentDir } from './agent-log';
import { agentEnvironment, renderPrompt } from './bead-handoff';
import { fillTemplate, resolveProgram, templateOf, type TemplateValues } from './presets';
import { LineSplitter, parseUsageLine } from './usage-protocol';
import { clearAgentPid, recordAgentPid, stopLeftoverAgent } from './leftover-agent';

export interface CommandAgentOptions {
  /** Logs and prompt files: `<logRoot>/<rig>/<polecat>/`. */
  logRoot: string;
  /** Real ms between looks at the worktree for progress (one `git status` each). */
  progressPollMs?: number;
  /** Real ms a stopped agent gets between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** Bytes of log per polecat before it rotates. */
  logBytes?: number;
  /** Extra environment for every agent (an API key file, a PATH with the agent's CLI). */
  env?: Record<string, string>;
  /** What keeps the town's secrets from the agent; default: the town's (spawner/sandbox.ts). */
  sandbox?: Sandbox;
}

type ExternalSpec = Exclude<AgentSpec, { kind: 'scripted' }>;

/** After an agent exits, how long its pipes may stay open (held by an escaped grandchild). */
const PIPE_GRACE_MS = 2_000;
/** setTimeout's ceiling; a longer timeout would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A look at each running agent's worktree every 10 s: 10 git processes a second at 100 agents. */
const DEFAULT_PROGRESS_POLL_MS = 10_000;
/** How much of a long argument (the prompt) the log shows. */
const LOGGED_ARG_CHARS = 120;

interface Control {
  cancelled: boolean;
  timedOut: boolean;
  child: ChildProcess | null;
  log: AgentLog | null;
}

/** Signals the agent's whole process group (the agent and whatever it started). */
function signalGroup(child: ChildProcess | null, signal: NodeJS.Signals): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * The agent's HOME is its own, so the server user's ~/.gitconfig is not there: its commits
 * are the polecat's (`git config --global` in the agent changes this file, which stays).
 */
async function writeGitIdentity(home: string, rig: string, polecat: string): Promise<void> {
  await mkdir(home, { recursive: true });
  const identity = `[user]\n\tname = ${polecat} (${rig} polecat)\n\temail = ${polecat}.${rig}@gastown.localhost\n`;
  await writeFile(path.join(home, '.gitconfig'), identity, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}

/** Never cuts a surrogate pair in half: a failure reason is stored, and the store refuses half a pair. */
function clip(arg: string): string {
  return arg.length > LOGGED_ARG_CHARS ? `${clipText(arg, LOGGED_ARG_CHARS)}… (${arg.length} chars)` : arg;
}

export class CommandAgentRuntime implements AgentRuntime {
  constructor(private readonly options: CommandAgentOptions) {}

  /** Chosen at the first agent, not at construction: in root mode it may create a user. */
  private get sandbox(): Sandbox {
    return this.options.sandbox ?? townSandbox(path.dirname(this.options.logRoot));
  }

  start(session: AgentSession): AgentHandle {
    const control: Control = { cancelled: false, timedOut: false, child: null, log: null };
    const spec = session.rig.settings.agent;
    const done =
      spec.kind === 'scripted'
        ? Promise.resolve<AgentOutcome>({ kind: 'failed', reason: 'the rig runs the scripted agent' })
        : this.run(session, spec, control).catch((err: unknown): AgentOutcome => ({
            kind: 'failed',
            reason: err instanceof Error ? err.message : String(err),
          }));
    return {
      done,
      cancel: () => {
        if (control.cancelled) return;
        control.cancelled = true;
        this.stop(control);
      },
      // The process is ours until `done` settles: an exit is always turned into an outcome.
      alive: () => true,
      nudge: () => {
        // A headless CLI has no session to type into; the nudge is on record, and the
        // Witness's next rung (a restart) is what moves a stuck one.
        void control.log?.note('nudged by the Witness: no heartbeat or progress for a while');
      },
    };
  }

  private stop(control: Control): void {
    const { child } = control;
    if (!child) return;
    signalGroup(child, 'SIGTERM');
    const grace = setTimeout(() => signalGroup(child, 'SIGKILL'), this.options.killGraceMs ?? 2_000);
    grace.unref();
    child.once('exit', () => clearTimeout(grace));
  }

  private async run(session: AgentSession, spec: ExternalSpec, control: Control): Promise<AgentOutcome> {
    const { rig, polecat } = session;
    const dir = polecatAgentDir(this.options.logRoot, rig.name, polecat.name);
    const log = new AgentLog(dir, this.options.logBytes ?? DEFAULT_LOG_BYTES);
    control.log = log;
    const promptFile = path.join(dir, 'prompt.md');
    const prompt = renderPrompt(session);
    const model = spec.kind === 'preset' ? (spec.model ?? null) : null;
    await session.track(mkdir(dir, { recursive: true }).then(() => writeFile(promptFile, prompt)));
    const values: TemplateValues = {
      prompt,
      promptFile,
      beadId: session.bead.id,
      beadTitle: session.bead.title,
      rig: rig.name,
      polecat: polecat.name,
      worktree: polecat.worktreePath,
      branch: polecat.branch,
      model: model ?? '',
      mode: session.mode,
      attempt: String(session.attempt),
    };
    const argv = fillTemplate(templateOf(spec), values);
    const program = resolveProgram(argv[0], polecat.worktreePath);
    const leftover = await session.track(stopLeftoverAgent(dir, polecat.worktreePath));
    if (leftover !== null)
      await log.note(`stopped agent process ${leftover}, left running in this worktree by an earlier server`);
    const baseline = await session.track(this.fingerprint(session));
    // The provider's tokens-per-minute cap: wait before starting, not mid-run.
    await session.waitForCapacity();
    if (control.cancelled) return { kind: 'cancelled' };
    await log.note(`attempt ${session.attempt} (${session.mode}) of ${session.bead.id}: ${JSON.stringify(argv.map(clip))}`);
    // The agent gets its worktree, its branch and a HOME of its own, never the town's secrets.
    const home = path.join(dir, 'home');
    await session.track(writeGitIdentity(home, rig.name, polecat.name));
    const sandboxed = await session.track(
      this.sandbox.prepare({
        cwd: polecat.worktreePath,
        access: { kind: 'commit', branch: polecat.branch },
        home,
        env: { ...this.options.env, ...agentEnvironment(session, promptFile, model) },
      }),
    );
    return this.supervise(session, control, log, program, argv.slice(1), sandboxed, baseline);
  }

  /** Starts the process and turns what it does into heartbeats, progress, usage and an outcome. */
  private supervise(
    session: AgentSession,
    control: Control,
    log: AgentLog,
    program: string,
    args: string[],
    sandboxed: SandboxedStart,
    baseline: string,
  ): Promise<AgentOutcome> {
    const timeoutMs = session.rig.settings.agentTimeoutMs;
    let usageLines = 0;
    let malformed = 0;
    let lastLine = '';
    const onLine = (line: string) => {
      if (line.trim()) lastLine = line.trim();
      const parsed = parseUsageLine(line);
      if (parsed.kind === 'usage') {
        usageLines++;
        session.reportUsage(parsed.usage);
      } else if (parsed.kind === 'malformed') {
        malformed++;
        void log.note(`ignored a malformed usage line (${parsed.reason}): ${clip(line)}`);
      }
    };
    const lines = { stdout: new LineSplitter(onLine), stderr: new LineSplitter(onLine) };

    return new Promise<AgentOutcome>((resolve) => {
      let child: ChildProcess;
      try {
        const [file, ...rest] = sandboxed.wrap([program, ...args]);
        child = spawn(file, rest, {
          cwd: session.polecat.worktreePath,
          env: sandboxed.env as NodeJS.ProcessEnv,
          ...(sandboxed.uid === undefined ? {} : { uid: sandboxed.uid, gid: sandboxed.gid }),
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          windowsHide: true,
        });
      } catch (err) {
        // Invalid arguments (a NUL byte) throw before any process exists.
        void log.note(`could not start: ${String(err)}`);
        resolve({ kind: 'failed', reason: `agent could not start: ${err instanceof Error ? err.message : String(err)}` });
        return;
      }
      control.child = child;
      const { pid } = child;
      if (pid !== undefined) void recordAgentPid(log.dir, pid).catch(() => {});
      if (control.cancelled) this.stop(control);

      let last = baseline;
      let polling = false;
      const poll = setInterval(() => {
        if (polling) return;
        polling = true;
        void this.fingerprint(session)
          .then((now) => {
            if (now !== last) {
              last = now;
              session.progress();
            }
          })
          .catch(() => {})
          .finally(() => (polling = false));
      }, this.options.progressPollMs ?? DEFAULT_PROGRESS_POLL_MS);
      const timer = setTimeout(
        () => {
          control.timedOut = true;
          void log.note(`timed out after ${timeoutMs} ms: stopping the agent`);
          this.stop(control);
        },
        Math.min(timeoutMs, MAX_TIMER_MS),
      );

      for (const stream of ['stdout', 'stderr'] as const) {
        const pipe = child[stream]!;
        pipe.setEncoding('utf8');
        pipe.on('data', (chunk: string) => {
          void log.append(chunk);
          session.heartbeat();
          lines[stream].push(chunk);
        });
      }
      let grace: NodeJS.Timeout | undefined;
      child.on('exit', () => {
        // Whatever the agent left running in the background must not outlive it.
        signalGroup(child, 'SIGKILL');
        grace = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, PIPE_GRACE_MS);
      });
      let started = true;
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (child.pid !== undefined) return;
        started = false;
        clearInterval(poll);
        clearTimeout(timer);
        const why =
          err.code === 'ENOENT'
            ? `program not found: ${program}`
            : err.code === 'EACCES'
              ? `permission denied: ${program}`
              : err.message;
        void log.note(`could not start: ${why}`).then(() => resolve({ kind: 'failed', reason: `agent could not start: ${why}` }));
      });
      child.on('close', (code, signal) => {
        if (pid !== undefined) void clearAgentPid(log.dir, pid).catch(() => {});
        clearInterval(poll);
        clearTimeout(timer);
        clearTimeout(grace);
        if (!started) return;
        lines.stdout.end();
        lines.stderr.end();
        const usage = usageLines > 0 ? `${usageLines} usage lines` : 'usage unknown (no usage lines)';
        const extra = malformed > 0 ? `, ${malformed} malformed ignored` : '';
        const finish = (outcome: AgentOutcome, what: string) =>
          void log
            .note(`${what}; ${usage}${extra}`)
            .then(() => log.flush())
            .then(() => resolve(outcome));
        if (control.cancelled) return finish({ kind: 'cancelled' }, 'stopped');
        if (control.timedOut)
          return finish({ kind: 'failed', reason: `agent timed out after ${timeoutMs} ms` }, 'killed after the timeout');
        if (code !== 0) {
          const status = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
          const reason = `agent ${status}${lastLine ? `: ${clip(lastLine)}` : ''}`;
          return finish({ kind: 'failed', reason }, status);
        }
        void session
          .track(this.aheadOfTarget(session))
          .then(
            (head): AgentOutcome =>
              head
                ? { kind: 'committed', head }
                : { kind: 'failed', reason: `agent exited 0 without new commits on ${session.polecat.branch}` },
            (err: unknown): AgentOutcome => ({ kind: 'failed', reason: `could not read the branch: ${String(err)}` }),
          )
          .then((outcome) => {
            if (outcome.kind === 'committed') session.progress();
            finish(
              outcome,
              outcome.kind === 'committed' ? `exited 0 with commit ${outcome.head.slice(0, 12)}` : 'exited 0 without new commits',
            );
          });
      });
    });
  }

  /** What the worktree looks like now: uncommitted changes and the branch head. */
  private async fingerprint(session: AgentSession): Promise<string> {
    // One git per look (v2 with --branch includes the head commit), and --no-optional-locks
    // so we never take the index lock the agent's own git may need.
    const args = ['--no-optional-locks', 'status', '--porcelain=v2', '--branch', '-uall'];
    return (await runGit(args, { cwd: session.polecat.worktreePath })).stdout;
  }

  /** The polecat branch's head when it has commits the target lacks; otherwise null. */
  private async aheadOfTarget(session: AgentSession): Promise<string | null> {
    const cwd = session.polecat.worktreePath;
    const branch = `refs/heads/${session.polecat.branch}`;
    const head = (await runGit(['rev-parse', '--verify', `${branch}^{commit}`], { cwd })).stdout.trim();
    const target = `refs/heads/${session.rig.targetBranch}`;
    const ahead = await runGit(['rev-list', '--count', `${target}..${head}`], { cwd });
    return Number(ahead.stdout.trim()) > 0 ? head : null;
  }
}
