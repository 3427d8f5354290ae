/**
 * Keeps the last `limit` bytes of a stream of chunks, so a process that prints megabytes
 * costs at most `limit` bytes of memory: the one tail buffer, used by the spawner
 * (run-process.mjs, 'tail' output) and by the check runner (a check's report). Plain Node
 * ESM, like run-process.mjs, so the spawner starts from a bare `node`; types in
 * tail-buffer.d.mts.
 */
import { Buffer } from 'node:buffer';

export class TailBuffer {
  constructor(limit) {
    this.limit = limit;
    this.chunks = [];
    this.size = 0;
    /** Bytes cut from the front (here, or before this buffer saw them: `skipped`). */
    this.dropped = 0;
  }

  /** Always true: a tail never overflows (the same shape as the spawner's full buffer). */
  push(chunk) {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.limit) {
      const first = this.chunks.shift();
      this.size -= first.length;
      this.dropped += first.length;
    }
    // Only the oldest chunk can still reach past the limit: cut its front off.
    const excess = this.size - this.limit;
    if (excess > 0) {
      this.chunks[0] = this.chunks[0].subarray(excess);
      this.size -= excess;
      this.dropped += excess;
    }
    return true;
  }

  /** Counts bytes cut off before this buffer saw them (the spawner kept only a tail). */
  skipped(bytes) {
    this.dropped += bytes;
  }

  /** Appends `line` on a line of its own. */
  pushLine(line) {
    const last = this.chunks.at(-1);
    const needsBreak = last !== undefined && last.length > 0 && last[last.length - 1] !== 0x0a;
    this.push(Buffer.from(`${needsBreak ? '\n' : ''}${line}\n`));
  }

  bytes() {
    return Buffer.concat(this.chunks);
  }

  /** The tail as UTF-8, headed by how much was omitted. */
  text() {
    const body = this.bytes().toString('utf8');
    return this.dropped > 0 ? `[... ${this.dropped} bytes omitted]\n${body}` : body;
  }
}
