/** Types of run-process.mjs (plain ESM so the spawner starts from a bare `node`). */

export interface ProcessRequest {
  /** The program and its arguments; never run through a shell. */
  argv: string[];
  cwd: string;
  /** The complete environment of the process (not layered over anything). */
  env: Record<string, string | undefined>;
  /** Written to the process's stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string;
  /** Kill after this many ms (0 or absent: never). */
  timeoutMs?: number;
  /**
   * Run in its own process group: a timeout, an abort or an overflow kills the whole group,
   * and so does the process's own exit (nothing it started may outlive it).
   */
  killGroup?: boolean;
  /**
   * 'full': stdout and stderr apart, at most `limit` bytes each; more kills the process and
   * sets `overflow`. 'tail': both interleaved, only the last `limit` bytes kept.
   */
  output: { mode: 'full' | 'tail'; limit: number };
  /** With killGroup: after the exit, how long an escaped grandchild may hold the pipes. */
  pipeGraceMs?: number;
  /** Run as this user and group (a server running as root starts checks unprivileged: spawner/sandbox.ts). */
  uid?: number;
  gid?: number;
}

export interface ProcessResult {
  /** Exit code; null when killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** 'full' output passed its limit and the process was killed. */
  overflow: boolean;
  /** The process could not start (ENOENT, EACCES, a vanished cwd, an invalid argument). */
  spawnError: { code: string; message: string } | null;
  /** 'full' mode, decoded as UTF-8. */
  stdout: string;
  stderr: string;
  /** 'tail' mode: the last bytes of stdout and stderr interleaved, and how many were cut. */
  output?: Uint8Array;
  dropped?: number;
}

export interface RunningProcess {
  result: Promise<ProcessResult>;
  abort(): void;
}

export function killProcessGroup(pid: number | undefined): void;

export function runProcess(request: ProcessRequest, onStart?: (pid: number) => void): RunningProcess;
