/**
 * Where the server's child processes (git, the Refinery's checks) are started.
 *
 * Why not `child_process.spawn` in the server: Node forks synchronously on the event-loop
 * thread, and a fork costs time in proportion to the forking process's resident memory
 * (page tables to copy). The server holds Next.js, the engine, Prisma and socket.io (200+
 * MB), and a busy town runs git ~45 times a second: measured, each spawn blocked the loop
 * 7 ms at the median, a third of the time (18% of its CPU profile, its largest item). So the
 * server hands its processes to a **spawner**: a bare `node` (about 40 MB, no TypeScript
 * loader) started once, which forks cheaply, off the server's loop. The server only sends
 * an argument array over IPC and receives the bounded result.
 *
 * Contract (ProcessRunner): the same as running the process directly (run-process.mjs is
 * the one implementation both paths use), with one more failure: if the spawner dies,
 * every request it was running rejects with SpawnerDiedError (callers that retry git
 * failures retry it), the process groups it ran are killed, and the next request starts a
 * new spawner. If a spawner cannot be started (no `node`, a failing start) several times
 * in a row, requests fall back to spawning directly from the server: slower, never
 * broken. `GT_SPAWNER=off` chooses the direct path from the start (for A/B benchmarks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { killProcessGroup, runProcess, type ProcessRequest, type ProcessResult, type RunningProcess } from './run-process.mjs';

export type { ProcessRequest, ProcessResult } from './run-process.mjs';

/** Runs a process to completion; `signal` kills it (its group with `killGroup`). */
export interface ProcessRunner {
  run(request: ProcessRequest, signal?: AbortSignal): Promise<ProcessResult>;
}

/** The spawner died while running a request: its outcome is unknown. */
export class SpawnerDiedError extends Error {
  constructor(argv: string[], how: string) {
    super(`process spawner ${how} while running ${argv.join(' ')}; its outcome is unknown`);
    this.name = 'SpawnerDiedError';
  }
}

const SPAWNER_MAIN = path.join(import.meta.dirname, 'spawner-main.mjs');

function abortedResult(): ProcessResult {
  return {
    code: null,
    signal: null,
    timedOut: false,
    aborted: true,
    overflow: false,
    spawnError: null,
    stdout: '',
    stderr: '',
    output: new Uint8Array(),
    dropped: 0,
  };
}

/** Wires an AbortSignal to a running process, and unwires it when the process ends. */
async function untilDone(running: RunningProcess, signal?: AbortSignal): Promise<ProcessResult> {
  if (!signal) return running.result;
  const onAbort = () => running.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await running.result;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Spawns from the calling process: the fallback, and `GT_SPAWNER=off`. */
export const directRunner: ProcessRunner = {
  run(request, signal) {
    if (signal?.aborted) return Promise.resolve(abortedResult());
    return untilDone(runProcess(request), signal);
  },
};

export interface SpawnerOptions {
  /** The spawner program (tests point it elsewhere to simulate a failing start). */
  script?: string;
  /** Consecutive failed starts after which requests go to the direct fallback for good. */
  maxStartFailures?: number;
  /** How long a starting spawner may take to say it is ready. */
  startTimeoutMs?: number;
  /**
   * At most this many requests in the spawner at once; the rest wait in the server, so
   * a burst cannot fork without bound (each result is bounded by its output limit).
   */
  maxInFlight?: number;
  /** Told once when requests switch to the direct fallback for good. */
  onFallback?: (reason: string) => void;
}

interface Job {
  id: number;
  request: ProcessRequest;
  resolve: (result: ProcessResult) => void;
  reject: (error: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  pid?: number;
}

type Message =
  { type: 'ready' } | { type: 'started'; id: number; pid: number } | { type: 'done'; id: number; result: ProcessResult };

export class Spawner implements ProcessRunner {
  private readonly script: string;
  private readonly maxStartFailures: number;
  private readonly startTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly onFallback: (reason: string) => void;
  private child: ChildProcess | null = null;
  private ready = false;
  private startFailures = 0;
  private fallback = false;
  private nextId = 1;
  /** Not yet sent: waiting for the spawner to be ready, or for room in flight. */
  private readonly queued: Job[] = [];
  /** Sent to the spawner, not yet done. */
  private readonly inFlight = new Map<number, Job>();
  private counts = { viaSpawner: 0, direct: 0, restarts: 0 };

  constructor(options: SpawnerOptions = {}) {
    this.script = options.script ?? SPAWNER_MAIN;
    this.maxStartFailures = options.maxStartFailures ?? 3;
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.maxInFlight = options.maxInFlight ?? 256;
    this.onFallback = options.onFallback ?? ((reason) => console.warn(`[spawner] spawning directly from the server: ${reason}`));
  }

  /** The spawner's pid while one runs (tests kill it to check recovery). */
  get pid(): number | undefined {
    return this.ready ? this.child?.pid : undefined;
  }

  /** Whether requests now go to the direct fallback for good. */
  get usingFallback(): boolean {
    return this.fallback;
  }

  /** Requests run through the spawner and directly, and spawners started after a death. */
  stats(): { viaSpawner: number; direct: number; restarts: number } {
    return { ...this.counts };
  }

  run(request: ProcessRequest, signal?: AbortSignal): Promise<ProcessResult> {
    if (signal?.aborted) return Promise.resolve(abortedResult());
    if (this.fallback) {
      this.counts.direct++;
      return directRunner.run(request, signal);
    }
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, request, resolve, reject, signal };
      if (signal) {
        job.onAbort = () => this.abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queued.push(job);
      this.pump();
    });
  }

  /**
   * Stops the spawner (it exits when its channel closes); requests still running or
   * waiting fail with SpawnerDiedError. A later request starts a new one.
   */
  close(): void {
    const child = this.child;
    this.child = null;
    this.ready = false;
    for (const job of [...this.inFlight.values(), ...this.queued.splice(0)]) {
      if (job.request.killGroup) killProcessGroup(job.pid);
      this.finish(job);
      job.reject(new SpawnerDiedError(job.request.argv, 'was closed'));
    }
    if (child?.connected) child.disconnect();
  }

  private pump(): void {
    if (this.fallback) {
      for (const job of this.queued.splice(0)) this.runDirect(job);
      return;
    }
    if (!this.child) this.start();
    if (!this.ready) return;
    while (this.queued.length > 0 && this.inFlight.size < this.maxInFlight) {
      const job = this.queued.shift() as Job;
      this.inFlight.set(job.id, job);
      this.counts.viaSpawner++;
      this.child?.send({ type: 'run', id: job.id, request: job.request });
    }
    this.refWhileBusy();
  }

  private start(): void {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [this.script], {
        // A TypeScript loader in NODE_OPTIONS would cost the spawner the memory it exists
        // to avoid; the processes it starts get their environment from each request.
        env: { ...process.env, NODE_OPTIONS: '' },
        // v8 serialisation carries a check's output bytes as they are.
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        windowsHide: true,
      });
    } catch (error) {
      this.startFailed(`could not start: ${(error as Error).message}`);
      return;
    }
    this.child = child;
    this.ready = false;
    // The spawner must never keep the server alive on its own (see refWhileBusy).
    child.unref();
    const startTimer = setTimeout(() => {
      if (this.child === child && !this.ready) child.kill('SIGKILL');
    }, this.startTimeoutMs);
    startTimer.unref();
    child.on('message', (message: Message) => {
      if (this.child !== child) return;
      if (message.type === 'ready') {
        clearTimeout(startTimer);
        this.ready = true;
        this.startFailures = 0;
        this.pump();
      } else if (message.type === 'started') {
        const job = this.inFlight.get(message.id);
        if (job) job.pid = message.pid;
      } else if (message.type === 'done') {
        this.settle(message.id, message.result);
      }
    });
    child.on('error', (error) => {
      clearTimeout(startTimer);
      this.onDeath(child, `failed: ${error.message}`);
      // A channel error leaves a spawner we no longer talk to: make sure it is gone.
      child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(startTimer);
      this.onDeath(child, `exited (${signal ?? `code ${code}`})`);
    });
  }

  private onDeath(child: ChildProcess, how: string): void {
    if (this.child !== child) return;
    const wasReady = this.ready;
    this.child = null;
    this.ready = false;
    if (!wasReady) {
      this.startFailed(how);
      return;
    }
    this.counts.restarts++;
    for (const job of [...this.inFlight.values()]) {
      // Nobody would enforce a check's timeout any more; a plain git command is left to
      // finish (killing it mid-write would leave a lock behind), as the spawner does.
      if (job.request.killGroup) killProcessGroup(job.pid);
      this.finish(job);
      job.reject(new SpawnerDiedError(job.request.argv, how));
    }
    // Requests still queued go to the next spawner.
    if (this.queued.length > 0) this.pump();
    else this.refWhileBusy();
  }

  private startFailed(reason: string): void {
    this.startFailures++;
    if (this.startFailures >= this.maxStartFailures) {
      this.fallback = true;
      this.onFallback(`the spawner failed to start ${this.startFailures} times (last: ${reason})`);
      this.pump();
      return;
    }
    // This spawner never ran anything: its queue is not lost, only late. Run it directly
    // (a start failure must not fail requests), and try a new spawner next time.
    for (const job of this.queued.splice(0)) this.runDirect(job);
  }

  private runDirect(job: Job): void {
    this.counts.direct++;
    this.finish(job);
    directRunner.run(job.request, job.signal).then(job.resolve, job.reject);
  }

  private abort(job: Job): void {
    const waiting = this.queued.indexOf(job);
    if (waiting !== -1) {
      this.queued.splice(waiting, 1);
      this.finish(job);
      job.resolve(abortedResult());
      this.refWhileBusy();
    } else if (this.inFlight.has(job.id)) {
      this.child?.send({ type: 'abort', id: job.id });
    }
  }

  private settle(id: number, result: ProcessResult): void {
    const job = this.inFlight.get(id);
    if (!job) return;
    this.finish(job);
    job.resolve(result);
    this.pump();
  }

  /** Forgets the job and its abort listener. */
  private finish(job: Job): void {
    this.inFlight.delete(job.id);
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
  }

  /**
   * A running child process keeps Node alive, so a request in the spawner must too; an
   * idle spawner must not, or no script, test or CLI using git could ever exit.
   */
  private refWhileBusy(): void {
    const channel = this.child?.channel;
    if (!channel) return;
    if (this.inFlight.size > 0 || this.queued.length > 0) channel.ref();
    else channel.unref();
  }
}

let shared: ProcessRunner | null = null;

/**
 * The server's one ProcessRunner: a Spawner, or the direct path with `GT_SPAWNER=off`
 * (read at first use).
 */
export function processRunner(): ProcessRunner {
  shared ??= process.env.GT_SPAWNER === 'off' ? directRunner : new Spawner();
  return shared;
}
