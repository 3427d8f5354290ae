/** Types of tail-buffer.mjs (plain ESM so the spawner starts from a bare `node`). */

/** Keeps the last `limit` bytes of a stream of chunks. */
export class TailBuffer {
  constructor(limit: number);
  /** Bytes cut from the front, including those reported by `skipped`. */
  readonly dropped: number;
  /** Always true: a tail never overflows. */
  push(chunk: Buffer): boolean;
  /** Counts bytes cut off before this buffer saw them. */
  skipped(bytes: number): void;
  /** Appends `line` on a line of its own. */
  pushLine(line: string): void;
  bytes(): Buffer;
  /** The tail as UTF-8, headed by how much was omitted. */
  text(): string;
}
