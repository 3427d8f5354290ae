/**
 * The disk the polecats' worktrees use, per rig (the seed: "each polecat session
 * consumes ... local disk space (git worktree)"). Measured by walking the worktrees
 * every minute off the request path; a page reads the last measurement. The shared
 * object store lives in the rig's repository and is not counted per worktree.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Town } from '../engine/town';

const INTERVAL_MS = 60_000;
/** A walk stops counting after this many entries (a runaway worktree should not stall it). */
const MAX_ENTRIES_PER_WORKTREE = 200_000;

async function sizeOf(dir: string): Promise<number> {
  let bytes = 0;
  let entries = 0;
  const stack = [dir];
  while (stack.length > 0 && entries < MAX_ENTRIES_PER_WORKTREE) {
    const current = stack.pop()!;
    let names: string[];
    try {
      names = await readdir(current);
    } catch {
      continue; // removed while we walked
    }
    for (const name of names) {
      if (current === dir && name === '.git') continue;
      entries++;
      const full = path.join(current, name);
      const stat = await lstat(full).catch(() => null);
      if (!stat) continue;
      if (stat.isDirectory()) stack.push(full);
      else bytes += stat.size;
    }
  }
  return bytes;
}

export class WorktreeDiskUsage {
  private readonly bytes = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private measuring = false;

  constructor(private readonly town: Town) {}

  start(): void {
    void this.measure();
    this.timer = setInterval(() => void this.measure(), INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Bytes of the rig's worktrees at the last measurement; null before the first. */
  of(rig: string): number | null {
    return this.bytes.get(rig) ?? null;
  }

  async measure(): Promise<void> {
    if (this.measuring) return;
    this.measuring = true;
    try {
      for (const rig of this.town.rigs.list()) {
        let total = 0;
        for (const p of this.town.polecats.list(rig.name)) total += await sizeOf(p.worktreePath);
        this.bytes.set(rig.name, total);
      }
    } finally {
      this.measuring = false;
    }
  }
}
