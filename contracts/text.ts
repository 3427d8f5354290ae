/**
 * The one text rule: every string the API, the live socket or the CLI accepts is checked
 * here before anything else sees it, so the store is never the first place that refuses a
 * value (SQLite through Prisma refuses a lone UTF-16 surrogate, which JSON allows as
 * `"\ud800"`; a refusal that late answered 201 and lost the bead).
 *
 * A string passes when it is
 * - well-formed Unicode: no lone surrogate (a pair is one character and passes);
 * - free of NUL and other C0 control characters: `line` fields (titles, names, reasons,
 *   labels, paths, ids) allow none, `text` fields (descriptions, program arguments) allow
 *   tab, line feed and carriage return;
 * - within its field's length bound (`TEXT_LIMITS`), counted in UTF-16 units as zod does.
 *
 * Each refusal is a zod issue on the field, so the command bus answers 400 `invalid`
 * naming it (`beads.2.title: must be well-formed Unicode ...`).
 */
import { z } from 'zod';

/** Length bounds per kind of field, in characters (UTF-16 units). */
export const TEXT_LIMITS = {
  /** Ids of beads, convoys, gates, alerts, silences, escalations. */
  id: 60,
  /** Names: rigs, partitions, checks, rules, providers, actors. */
  name: 80,
  title: 200,
  description: 20_000,
  label: 50,
  /** Repository paths and globs. */
  path: 200,
  /** Why: a silence's reason, an escalation note. */
  reason: 500,
  /** A silence matcher's label value. */
  matcher: 200,
  /** One program argument (an agent's or a check's); a prompt can be long. */
  arg: 4_000,
  /** A live-stream topic such as `rig:<name>` or `convoy:<id>`. */
  topic: 120,
} as const;

/** A lone surrogate: with the `u` flag a well-formed pair is one astral code point, never Cs. */
const LONE_SURROGATE = /\p{Cs}/u;
/** Every C0 control and DEL: refused in one-line fields. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANY_CONTROL = /[\u0000-\u001f\u007f]/;
/** C0 controls other than tab, line feed and carriage return: refused in multi-line text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HARD_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Whether `s` is well-formed Unicode (what `String.prototype.isWellFormed` answers on Node 20+). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * Cuts `s` to at most `max` characters without splitting a surrogate pair (a half pair
 * would be refused by the store). `from: 'end'` keeps the tail, for output tails.
 */
export function clip(s: string, max: number, from: 'start' | 'end' = 'start'): string {
  if (s.length <= max) return s;
  let cut = from === 'start' ? s.slice(0, max) : s.slice(s.length - max);
  if (from === 'start' && /[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  if (from === 'end' && /^[\udc00-\udfff]/.test(cut)) cut = cut.slice(1);
  return cut;
}

export interface TextOptions {
  max: number;
  /** Least length (after trimming when `trim`); default 0. */
  min?: number;
  /** Message when shorter than `min`. */
  minMessage?: string;
  /** Trim surrounding white space before the checks (titles, names, reasons). */
  trim?: boolean;
}

function checked(options: TextOptions, controls: RegExp, controlMessage: string) {
  let s = z.string({ error: 'must be a string' });
  if (options.trim) s = s.trim();
  if (options.min !== undefined && options.min > 0) {
    s = s.min(options.min, options.minMessage ?? `must be at least ${options.min} characters`);
  }
  return (
    s
      .max(options.max, `must be at most ${options.max} characters`)
      // `abort`: the first refusal is the answer (a NUL is not also reported as a control character).
      .refine(isWellFormed, { message: 'must be well-formed Unicode text (a lone UTF-16 surrogate is not)', abort: true })
      .refine((v) => !v.includes('\0'), { message: 'cannot contain NUL characters', abort: true })
      .refine((v) => !controls.test(v), { message: controlMessage, abort: true })
  );
}

/** One line of text: no control characters at all. Titles, names, labels, paths, reasons, ids. */
export function line(options: TextOptions): z.ZodString {
  return checked(options, ANY_CONTROL, 'must be one line without control characters');
}

/** Multi-line text: tab and line breaks allowed, other control characters not. Descriptions, arguments. */
export function text(options: TextOptions): z.ZodString {
  return checked(options, HARD_CONTROL, 'cannot contain control characters other than tab and line breaks');
}

/** An id of a bead, convoy, gate, alert, silence or escalation. */
export const id = (max: number = TEXT_LIMITS.id): z.ZodString => line({ max, min: 1, minMessage: 'is required' });
