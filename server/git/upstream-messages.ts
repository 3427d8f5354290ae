/**
 * Reading what git prints during clone, fetch and push: `--progress` lines, the reason a
 * command failed, and `push --porcelain` results. Pure text in, data out, so every rule is
 * unit-tested without a network. git runs with LC_ALL=C (./run-git.ts), so its messages
 * are English and stable enough to match.
 */
import { redactCredentials } from '../../contracts/git-url';
import type { UpstreamErrorKind } from '../engine/errors';
import type { CloneProgress } from '../engine/ports';

/** `Receiving objects:  45% (9/20), 1.2 MiB | 3 MiB/s`, possibly after `remote: `. */
const PROGRESS = /^(?:remote: )?([A-Za-z][A-Za-z ]*?):\s+(\d{1,3})% \((\d+)\/(\d+)\)/;

/** One progress line as `{ phase, percent }`, or null for any other line. */
export function parseProgressLine(line: string): CloneProgress | null {
  const match = PROGRESS.exec(line.trim());
  if (!match) return null;
  return { phase: match[1], percent: Math.min(100, Number(match[2])) };
}

/**
 * Feeds chunks of git's stderr (progress lines end with `\r` while they update, `\n` when
 * done) to `onProgress`, once per change of phase or percent, and keeps the other lines
 * (at most `keep`) for the error message.
 */
export class ProgressReader {
  private partial = '';
  private last = '';
  readonly lines: string[] = [];

  constructor(
    private readonly onProgress: (progress: CloneProgress) => void,
    private readonly keep = 200,
  ) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    // A line longer than any git message is not kept whole (bounded memory).
    if (this.partial.length > 4_096) this.partial = this.partial.slice(-4_096);
    for (const line of parts) this.line(line);
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(line: string): void {
    const progress = parseProgressLine(line);
    if (progress) {
      const key = `${progress.phase}:${progress.percent}`;
      if (key !== this.last) this.onProgress(progress);
      this.last = key;
    } else if (line.trim() && this.lines.length < this.keep) {
      this.lines.push(line);
    }
  }
}

/** Lines that say what git is doing rather than what went wrong. */
const CHATTER = /^(Cloning into|warning:|hint:|To |Done$|remote: (Enumerating|Counting|Compressing|Total))/;

/**
 * The first line of git's stderr that says what went wrong (`fatal: ` and `error: `
 * prefixes dropped), passwords redacted; `fallback` when there is none.
 */
export function gitReason(stderr: string, fallback: string): string {
  const lines = stderr
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !parseProgressLine(line));
  const line = lines.find((l) => !CHATTER.test(l)) ?? lines.find((l) => l.startsWith('warning:')) ?? fallback;
  return redactCredentials(line.replace(/^(fatal|error): /, '')).slice(0, 500);
}

/** Patterns of git's failures, most specific first. */
const KINDS: [UpstreamErrorKind, RegExp][] = [
  ['no_such_branch', /Remote branch .* not found|couldn't find remote ref|Could not find remote branch/i],
  [
    'auth',
    /Authentication failed|could not read (Username|Password)|terminal prompts disabled|Permission denied|Access denied|returned error: 40[13]|Host key verification failed/i,
  ],
  [
    'not_a_repository',
    /does not appear to be a git repository|not a git repository|repository '.*' (does not exist|not found)|returned error: 404/i,
  ],
  [
    'unreachable',
    /Could not resolve|Connection refused|Connection timed out|Network is unreachable|No route to host|unable to access|Could not read from remote repository|the remote end hung up/i,
  ],
];

/** What kind of failure git's stderr describes. */
export function classifyGitFailure(stderr: string): UpstreamErrorKind {
  return KINDS.find(([, pattern]) => pattern.test(stderr))?.[0] ?? 'failed';
}

/** One ref's line of `git push --porcelain`: `<flag>\t<from>:<to>\t<summary>`. */
export interface PushedRef {
  /** ' ' fast-forward, '+' forced, '-' deleted, '*' new, '!' rejected, '=' up to date. */
  flag: string;
  from: string;
  to: string;
  summary: string;
}

/** The ref lines of `git push --porcelain` output (the `To` and `Done` lines are skipped). */
export function parsePushPorcelain(stdout: string): PushedRef[] {
  const refs: PushedRef[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^([ +\-*!=])\t([^\t]*):([^\t]*)\t(.*)$/.exec(line);
    if (match) refs.push({ flag: match[1], from: match[2], to: match[3], summary: match[4] });
  }
  return refs;
}
