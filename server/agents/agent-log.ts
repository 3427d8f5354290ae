/**
 * A polecat's agent log: everything its agent printed (stdout and stderr, as they came)
 * plus our own `[gastown]` lines (start, usage problems, exit), at
 * `<root>/<rig>/<polecat>/agent.log`. Rotated: past `maxBytes` the file becomes
 * `agent.log.1` (replacing the previous one), so a chatty agent costs at most twice
 * `maxBytes` of disk. The prompt file of the current attempt lives beside it, outside
 * the worktree, so an agent's `git add -A` never commits it.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import path from 'node:path';

export const DEFAULT_LOG_BYTES = 1024 * 1024;
/** What the rig page shows of a log: its last lines, not megabytes. */
export const DEFAULT_TAIL_BYTES = 16 * 1024;

const SEGMENT = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Where a town keeps its agents' logs and prompt files. */
export function agentLogRoot(dataDir: string): string {
  return path.join(dataDir, 'agents');
}

/** The directory of one polecat's agent files; refuses anything but plain rig and polecat names. */
export function polecatAgentDir(root: string, rig: string, polecat: string): string {
  if (!SEGMENT.test(rig) || !SEGMENT.test(polecat)) throw new Error(`refusing agent directory for ${rig}/${polecat}`);
  return path.join(root, rig, polecat);
}

export class AgentLog {
  private size = -1;
  /** Output waiting to be written; a chatty agent's many small chunks go out as one write. */
  private pending: Buffer[] = [];
  private draining: Promise<void> | null = null;
  readonly file: string;

  constructor(
    readonly dir: string,
    private readonly maxBytes = DEFAULT_LOG_BYTES,
  ) {
    this.file = path.join(dir, 'agent.log');
  }

  /** Appends in order; writes never overlap and a failed write never stops the next. */
  append(data: string | Buffer): Promise<void> {
    this.pending.push(typeof data === 'string' ? Buffer.from(data) : data);
    this.draining ??= this.drain().finally(() => (this.draining = null));
    return this.draining;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = Buffer.concat(this.pending);
      this.pending = [];
      await this.write(batch).catch(() => {}); // a full disk loses log lines, never the agent
    }
  }

  /** One line of our own, marked so it reads apart from the agent's output. */
  note(line: string): Promise<void> {
    return this.append(`[gastown ${new Date().toISOString()}] ${line}\n`);
  }

  /** Resolves when everything appended so far is on disk. */
  flush(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  private async write(bytes: Buffer): Promise<void> {
    if (this.size < 0) {
      await mkdir(this.dir, { recursive: true });
      this.size = await stat(this.file).then(
        (s) => s.size,
        () => 0,
      );
    }
    // Only two files' worth survives rotation: what would be rotated away is never written.
    let rest = bytes.length > 2 * this.maxBytes ? bytes.subarray(bytes.length - 2 * this.maxBytes) : bytes;
    while (rest.length > 0) {
      if (this.size > 0 && this.size + rest.length > this.maxBytes) {
        await rename(this.file, `${this.file}.1`).catch(() => {});
        this.size = 0;
      }
      const piece = rest.subarray(0, this.maxBytes - this.size);
      const handle = await open(this.file, 'a');
      try {
        await handle.write(piece);
      } finally {
        await handle.close();
      }
      this.size += piece.length;
      rest = rest.subarray(piece.length);
    }
  }
}

async function readEnd(file: string, bytes: number): Promise<{ text: Buffer; size: number; mtimeMs: number } | null> {
  const info = await stat(file).catch(() => null);
  if (!info) return null;
  const start = Math.max(0, info.size - bytes);
  const chunks: Buffer[] = [];
  if (info.size > 0) {
    for await (const chunk of createReadStream(file, { start, end: info.size - 1 })) chunks.push(chunk as Buffer);
  }
  return { text: Buffer.concat(chunks), size: info.size, mtimeMs: info.mtimeMs };
}

export interface LogTail {
  /** The last lines (up to `bytes`), from the rotated file too when the current one is short. */
  text: string;
  /** Bytes of log before the tail that are not shown. */
  omittedBytes: number;
  /** Wall-clock time of the last write; null when the polecat has no log yet. */
  updatedAt: number | null;
}

/** The end of a polecat's agent log, for the rig page. */
export async function readLogTail(dir: string, bytes = DEFAULT_TAIL_BYTES): Promise<LogTail> {
  const file = path.join(dir, 'agent.log');
  const current = await readEnd(file, bytes);
  const rotated = current && current.size >= bytes ? null : await readEnd(`${file}.1`, bytes - (current?.size ?? 0));
  if (!current && !rotated) return { text: '', omittedBytes: 0, updatedAt: null };
  let text = Buffer.concat([rotated?.text ?? Buffer.alloc(0), current?.text ?? Buffer.alloc(0)]).toString('utf8');
  const total = (rotated?.size ?? 0) + (current?.size ?? 0);
  let omitted = total - Buffer.byteLength(text);
  // Start at a line boundary when we cut into the middle of one.
  if (omitted > 0) {
    const cut = text.indexOf('\n');
    if (cut >= 0) {
      omitted += Buffer.byteLength(text.slice(0, cut + 1));
      text = text.slice(cut + 1);
    }
  }
  return { text, omittedBytes: omitted, updatedAt: current?.mtimeMs ?? rotated?.mtimeMs ?? null };
}
