/**
 * Runs one program to completion and reports how it ended: the one implementation of
 * "start a process" shared by the spawner process (spawner-main.mjs) and by the server's
 * direct fallback (spawner.ts), so both behave identically.
 *
 * Plain Node ESM with no dependencies on purpose: the spawner must start from a bare
 * `node` (no tsx, no TypeScript loader), or its resident memory, and with it the cost of
 * every fork it makes, would grow towards the server's. Types are in run-process.d.mts.
 *
 * Always an argument array (`argv[0]` is the program), never a shell.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { clearTimeout, setTimeout } from 'node:timers';
import { TailBuffer } from './tail-buffer.mjs';

/** setTimeout's ceiling; a longer timeout would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Keeps every byte up to `limit` and flags an overflow past it, like execFile's maxBuffer:
 * the caller kills the process and reports an error instead of holding unbounded output.
 */
class FullBuffer {
  constructor(limit) {
    this.limit = limit;
    this.chunks = [];
    this.size = 0;
  }

  /** False once the limit is passed; the bytes past it are not kept. */
  push(chunk) {
    const room = this.limit - this.size;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size = this.limit;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  bytes() {
    return Buffer.concat(this.chunks);
  }
}

/** SIGKILLs the process group led by `pid` (the process and anything it started). */
export function killProcessGroup(pid) {
  if (pid === undefined) return;
  try {
    if (process.platform === 'win32') process.kill(pid, 'SIGKILL');
    else process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

function killOne(pid, signal) {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/**
 * Starts `request.argv` and returns a handle: `result` settles once the process has ended
 * and its pipes are closed (it never rejects: a failure to start is `spawnError`), `abort()`
 * kills it, and `onStart(pid)` is called once the process exists.
 */
export function runProcess(request, onStart) {
  const { argv, cwd, env, stdin, timeoutMs, killGroup, output, pipeGraceMs, uid, gid } = request;
  const tail = output.mode === 'tail';
  // 'tail' interleaves stdout and stderr in one buffer (a check's log reads in order);
  // 'full' keeps them apart, as git's callers parse stdout and read stderr for messages.
  const out = tail ? new TailBuffer(output.limit) : new FullBuffer(output.limit);
  const err = tail ? out : new FullBuffer(output.limit);
  let child;
  let settled = false;
  let aborted = false;
  let timedOut = false;
  let overflow = false;
  let timer;
  let graceTimer;
  let resolveResult;
  const result = new Promise((resolve) => (resolveResult = resolve));

  const kill = () => {
    if (killGroup) killProcessGroup(child?.pid);
    else killOne(child?.pid, 'SIGKILL');
  };
  const finish = (fields) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    clearTimeout(graceTimer);
    const base = { code: null, signal: null, timedOut, aborted, overflow, spawnError: null };
    if (tail) resolveResult({ ...base, ...fields, output: out.bytes(), dropped: out.dropped, stdout: '', stderr: '' });
    else resolveResult({ ...base, ...fields, stdout: out.bytes().toString('utf8'), stderr: err.bytes().toString('utf8') });
  };

  try {
    child = spawn(argv[0], argv.slice(1), {
      cwd,
      env,
      detached: Boolean(killGroup),
      // Node drops the supplementary groups when it changes the user (libuv's setgroups(0)).
      ...(uid === undefined ? {} : { uid }),
      ...(gid === undefined ? {} : { gid }),
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
  } catch (error) {
    // Invalid arguments (a NUL byte, say) throw before any process exists.
    finish({ spawnError: { code: error.code ?? 'ERR_SPAWN', message: error.message } });
    return { result, abort: () => undefined };
  }

  if (child.pid !== undefined) onStart?.(child.pid);
  if (stdin !== undefined) {
    // A process that exits without reading its input makes the write fail with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  }
  if (timeoutMs > 0) {
    timer = setTimeout(
      () => {
        timedOut = true;
        kill();
      },
      Math.min(timeoutMs, MAX_TIMER_MS),
    );
  }
  const collect = (buffer) => (chunk) => {
    if (overflow || buffer.push(chunk)) return;
    // Past the limit: like execFile's maxBuffer, the process is stopped, not waited for.
    overflow = true;
    kill();
  };
  child.stdout.on('data', collect(out));
  child.stderr.on('data', collect(err));

  child.on('error', (error) => {
    // Spawn failures (ENOENT, EACCES, a vanished cwd) arrive here, with no pid.
    if (child.pid === undefined) finish({ spawnError: { code: error.code ?? 'ERR_SPAWN', message: error.message } });
  });
  child.on('exit', () => {
    if (!killGroup) return;
    // Background processes left behind must not outlive the process (they would keep our
    // pipes open and run on in a worktree that is about to be reset).
    killProcessGroup(child.pid);
    if (pipeGraceMs !== undefined) {
      graceTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, pipeGraceMs);
    }
  });
  child.on('close', (code, signal) => finish({ code, signal }));

  return {
    result,
    abort: () => {
      if (settled) return;
      aborted = true;
      kill();
    },
  };
}
