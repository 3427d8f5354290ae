/**
 * The usage line protocol: how an agent tells us what it spent. A line of its stdout or
 * stderr that starts with `GT_USAGE ` carries one JSON object:
 *
 *   GT_USAGE {"input_tokens": 1200, "output_tokens": 340, "model": "claude-sonnet-4-5"}
 *
 * Each such line is one usage record (tokens add up). Lines that start with the marker
 * but are not a valid record are reported as malformed, never guessed at: a wrong token
 * count would be a wrong bill. An agent that prints none has unknown usage (not zero).
 */

export const USAGE_MARKER = 'GT_USAGE ';

/** One request's worth of tokens: more than this on one line is a bug, not a bill. */
const MAX_TOKENS_PER_LINE = 100_000_000;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,99}$/;

export interface UsageLine {
  inputTokens: number;
  outputTokens: number;
  model: string;
}

export type ParsedLine = { kind: 'usage'; usage: UsageLine } | { kind: 'malformed'; reason: string } | { kind: 'other' };

function tokenCount(value: unknown, field: string): number | string {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return `${field} must be a whole number >= 0`;
  if (value > MAX_TOKENS_PER_LINE) return `${field} is over ${MAX_TOKENS_PER_LINE}`;
  return value;
}

/** Reads one output line (without its line break). */
export function parseUsageLine(line: string): ParsedLine {
  const text = line.replace(/\r$/, '');
  if (!text.startsWith(USAGE_MARKER)) return { kind: 'other' };
  let data: unknown;
  try {
    data = JSON.parse(text.slice(USAGE_MARKER.length));
  } catch {
    return { kind: 'malformed', reason: 'not JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { kind: 'malformed', reason: 'not a JSON object' };
  const record = data as Record<string, unknown>;
  const inputTokens = tokenCount(record.input_tokens, 'input_tokens');
  if (typeof inputTokens === 'string') return { kind: 'malformed', reason: inputTokens };
  const outputTokens = tokenCount(record.output_tokens, 'output_tokens');
  if (typeof outputTokens === 'string') return { kind: 'malformed', reason: outputTokens };
  if (typeof record.model !== 'string' || !MODEL.test(record.model))
    return { kind: 'malformed', reason: 'model must be a model name (letters, digits, . _ : / @ + -)' };
  return { kind: 'usage', usage: { inputTokens, outputTokens, model: record.model } };
}

/** Longest line we buffer while waiting for its end; the rest of a longer one is not a usage line. */
const MAX_LINE = 64 * 1024;

/** Splits a byte stream into lines, keeping at most MAX_LINE bytes of a pending line. */
export class LineSplitter {
  private pending = '';
  private overlong = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop() ?? '';
    for (const line of parts) {
      if (!this.overlong) this.onLine(line);
      this.overlong = false;
    }
    if (this.pending.length > MAX_LINE) {
      this.pending = '';
      this.overlong = true;
    }
  }

  end(): void {
    if (this.pending && !this.overlong) this.onLine(this.pending);
    this.pending = '';
    this.overlong = false;
  }
}
