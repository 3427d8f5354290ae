/**
 * Agents left running by a server that died (kill -9, a crash). Agents run detached, in
 * their own process groups, so they outlive us and would keep editing the worktree that
 * the next session of the polecat is about to use. Each session records its pid beside
 * the polecat's log; the next session in that worktree stops a leftover first, but only
 * after checking that the pid still runs in that worktree (pids are reused).
 */
import { readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const pidFile = (dir: string) => path.join(dir, 'agent.pid');

export async function recordAgentPid(dir: string, pid: number): Promise<void> {
  await writeFile(pidFile(dir), String(pid));
}

/** Forgets the pid, unless a newer session has recorded its own meanwhile. */
export async function clearAgentPid(dir: string, pid: number): Promise<void> {
  const recorded = await readFile(pidFile(dir), 'utf8').catch(() => null);
  if (recorded?.trim() === String(pid)) await rm(pidFile(dir), { force: true });
}

/**
 * Kills the process group of a recorded agent that still runs in `worktree`; returns its
 * pid, or null when there was none. Where `/proc` cannot tell (not Linux), nothing is killed.
 */
export async function stopLeftoverAgent(dir: string, worktree: string): Promise<number | null> {
  const recorded = await readFile(pidFile(dir), 'utf8').catch(() => null);
  const pid = Number(recorded?.trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) return null;
  const [cwd, wanted] = await Promise.all([
    readlink(`/proc/${pid}/cwd`).catch(() => null),
    realpath(worktree).catch(() => worktree),
  ]);
  await rm(pidFile(dir), { force: true });
  if (cwd !== wanted) return null;
  try {
    process.kill(-pid, 'SIGKILL');
    return pid;
  } catch {
    return null; // gone in the meantime
  }
}
