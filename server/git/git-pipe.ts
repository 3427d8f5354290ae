/**
 * One long-lived git process spoken to over stdin/stdout (`merge-tree --stdin`,
 * `update-ref --stdin`, `cat-file --batch-check`): a request is bytes written to its
 * stdin, its reply the bytes git prints until `replyLength` says the reply is complete.
 *
 * One request is in flight at a time (the rest wait in order), so a reply always belongs
 * to the request before it. The process starts on the first request, and again after it
 * died; it is stopped (stdin closed, so git finishes what it read and exits) after
 * `idleMs` without a request. A process that dies with a request in flight rejects it
 * with PipeDiedError, carrying what git said on stderr and how it ended, so the caller
 * can judge the outcome (a fatal error, or a kill in the middle).
 *
 * The process is spawned from the server itself, not through the spawner (which runs
 * processes to completion): the fork blocks the event loop a few ms, but once per pipe
 * lifetime, not once per call.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { gitEnvironment, noteGitProcess } from './run-git';

/** The pipe's process ended (or never started) while a request was in flight. */
export class PipeDiedError extends Error {
  /** Exit code, or null when killed by a signal or never started. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** What the process wrote on stderr during this request. */
  readonly stderr: string;
  /** True when the process could not be started at all (ENOENT, EACCES, a vanished cwd). */
  readonly spawnFailed: boolean;
  /** True when it was killed because its reply did not come in time. */
  readonly timedOut: boolean;

  constructor(argv: string[], how: Omit<PipeDiedError, keyof Error>) {
    const ended = how.spawnFailed
      ? 'could not start'
      : `ended (${how.timedOut ? 'no reply in time, ' : ''}${how.signal ?? `code ${how.code}`})`;
    super(`git pipe ${argv.join(' ')} ${ended}${how.stderr ? `: ${how.stderr.trim()}` : ''}`);
    this.name = 'PipeDiedError';
    this.code = how.code;
    this.signal = how.signal;
    this.stderr = how.stderr;
    this.spawnFailed = how.spawnFailed;
    this.timedOut = how.timedOut;
  }
}

/** Bytes of a complete reply at the start of `buffer`, or -1 while more must come. */
export type ReplyLength = (buffer: Buffer) => number;

interface Pending {
  replyLength: ReplyLength;
  timer: NodeJS.Timeout | null;
  resolve: (reply: Buffer) => void;
  reject: (error: Error) => void;
}

/**
 * The niceness the spawner gives the fleet's git (server/spawner/spawner-main.mjs): the
 * pipes run the same git work, so they run one step below the server too.
 */
const FLEET_NICENESS = 10;

function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    os.setPriority(pid, Math.max(os.getPriority(pid), FLEET_NICENESS));
  } catch {
    // Not allowed here (or already gone): the server's priority.
  }
}

/** A child process and its stdio sockets: what keeps Node alive can be told not to. */
type Refable = { ref?: () => void; unref?: () => void };

/** stderr kept per request: enough for git's one fatal line, bounded against a chatty process. */
const STDERR_LIMIT = 16 * 1024;

export class GitPipe {
  private child: ChildProcess | null = null;
  private pending: Pending | null = null;
  private stdout: Buffer = Buffer.alloc(0);
  private stderr = '';
  private tail: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;
  private timedOut = false;

  /** `argv[0]` is the program (git, or `stdbuf` in front of it); `cwd` the repository. */
  constructor(
    private readonly argv: string[],
    private readonly cwd: string,
    private readonly idleMs: number,
  ) {}

  /** The running process's pid (tests kill it), or undefined while none runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Sends `input` once the requests before it are answered; resolves with the reply. With
   * `timeoutMs`, a reply that has not come by then kills the process (PipeDiedError, timedOut).
   */
  request(input: string, replyLength: ReplyLength, timeoutMs?: number): Promise<Buffer> {
    const run = this.tail.catch(() => undefined).then(() => this.send(input, replyLength, timeoutMs));
    this.tail = run;
    return run;
  }

  /** Stops the process (git exits when its stdin closes); a later request starts a new one. */
  close(): void {
    this.clearIdle();
    const child = this.child;
    if (child && !this.pending) {
      this.child = null;
      child.stdin?.end();
    }
  }

  private send(input: string, replyLength: ReplyLength, timeoutMs?: number): Promise<Buffer> {
    this.clearIdle();
    return new Promise<Buffer>((resolve, reject) => {
      this.stderr = '';
      this.timedOut = false;
      const child = this.child ?? this.start();
      const timer = timeoutMs
        ? setTimeout(() => {
            this.timedOut = true;
            child.kill('SIGKILL');
          }, timeoutMs)
        : null;
      this.pending = { replyLength, timer, resolve, reject };
      this.setBusy(child, true);
      // A process that died just now reports it through 'exit'; the write error is the same news.
      child.stdin?.write(input, () => undefined);
    });
  }

  private start(): ChildProcess {
    const [program, ...args] = this.argv;
    const child = spawn(program, args, {
      cwd: this.cwd,
      env: gitEnvironment() as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    noteGitProcess();
    lowerPriority(child.pid);
    this.child = child;
    this.stdout = Buffer.alloc(0);
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('data', (chunk: Buffer) => this.onStdout(child, chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      if (this.child === child && this.stderr.length < STDERR_LIMIT) this.stderr += chunk.toString('utf8');
    });
    child.on('error', () => this.onEnd(child, null, null, child.pid === undefined));
    // 'close', not 'exit': stdout and stderr have been read to their end by then.
    child.on('close', (code, signal) => this.onEnd(child, code, signal, false));
    return child;
  }

  private onStdout(child: ChildProcess, chunk: Buffer): void {
    if (this.child !== child) return;
    this.stdout = this.stdout.length === 0 ? chunk : Buffer.concat([this.stdout, chunk]);
    const pending = this.pending;
    if (!pending) return;
    const length = pending.replyLength(this.stdout);
    if (length < 0) return;
    const reply = this.stdout.subarray(0, length);
    this.stdout = this.stdout.subarray(length);
    this.pending = null;
    if (pending.timer) clearTimeout(pending.timer);
    this.setBusy(child, false);
    this.armIdle();
    pending.resolve(reply);
  }

  private onEnd(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, spawnFailed: boolean): void {
    if (this.child !== child) return;
    this.child = null;
    this.clearIdle();
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    if (pending.timer) clearTimeout(pending.timer);
    pending.reject(new PipeDiedError(this.argv, { code, signal, stderr: this.stderr, spawnFailed, timedOut: this.timedOut }));
  }

  /**
   * An idle pipe must not keep Node alive (no script or test could exit); one with a
   * request in flight must, or Node could exit before the reply.
   */
  private setBusy(child: ChildProcess, busy: boolean): void {
    for (const handle of [child, child.stdin, child.stdout, child.stderr] as (Refable | null)[]) {
      if (busy) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  private armIdle(): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => this.close(), this.idleMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
