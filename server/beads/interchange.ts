/**
 * The beads interchange format (`.beads/issues.jsonl`, as the `bd` tool writes it): one
 * JSON object a line with id, title, description, status, priority 0-4, issue_type,
 * labels, dependencies `[{issue_id, depends_on_id, type}]`, created_at, closed_at and more.
 * Pure: text in, validated records out (and back), no engine, no store, no I/O.
 *
 * Parsing is all-or-nothing: every line is checked before any bead is returned, and the
 * first malformed one is named by its line number. Unknown fields are ignored, never an
 * error, so files from newer `bd` versions import. Statuses map to the town's: `closed`
 * becomes done (history, never dispatched); `hooked` and `in_progress` come in open, as no
 * agent of this town holds them; `blocked` and `deferred` stay held (blocked); `tombstone`
 * (a bead deleted in bd) is skipped. Dependencies: `blocks` holds dispatch (dependsOn),
 * `parent-child` names the parent, `related` and `discovered-from` are kept as related;
 * other types are ignored.
 */
import { z } from 'zod';
import { line, text, TEXT_LIMITS } from '../../contracts/text';
import type { Bead, BeadStatus } from '../../contracts/records';

/** A bead as the interchange format carries it, in the town's terms. */
export interface InterchangeBead {
  id: string;
  title: string;
  description: string;
  /** `open`, `blocked` or `done` when parsed; any town status when exported. */
  status: BeadStatus;
  /** 0 (most urgent) to 4. */
  priority: number;
  /** bd's issue_type: bug, feature, task, epic, chore... */
  issueType: string;
  labels: string[];
  /** Ids this bead is blocked by (`blocks` dependencies). */
  dependsOn: string[];
  /** The parent (`parent-child`), or null. */
  parent: string | null;
  /** Ids it is related to (`related`, `discovered-from`). */
  related: string[];
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
}

export type ParseResult =
  | { ok: true; beads: InterchangeBead[]; skipped: { line: number; id: string; reason: string }[] }
  | { ok: false; line: number; error: string };

/** More beads than any real backlog; bounds the memory one import may take. */
export const MAX_IMPORT_BEADS = 10_000;

/** bd ids (`bd-a3f8`, `gt-k3x9q2mz`, `bd-a3f8.1`); also safe inside a branch name. */
const Id = line({ max: TEXT_LIMITS.id }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an id is letters, digits, ".", "_" and "-"');
const Time = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ]|$)/, 'must be an RFC 3339 time')
  .transform((s, ctx) => {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 time' });
    return ms;
  });

const STATUSES = {
  open: 'open',
  in_progress: 'open',
  hooked: 'open',
  pinned: 'open',
  blocked: 'blocked',
  deferred: 'blocked',
  closed: 'done',
  tombstone: null,
} as const satisfies Record<string, BeadStatus | null>;

const RELATED_TYPES = new Set(['related', 'discovered-from']);

const Dependency = z.object({
  issue_id: Id.optional(),
  depends_on_id: Id,
  type: line({ max: 40 }).default('blocks'),
});

/** One line. z.object drops unknown fields: newer bd versions write more. */
const Line = z.object({
  id: Id,
  title: line({ max: TEXT_LIMITS.title, min: 1, minMessage: 'a bead needs a title', trim: true }),
  description: text({ max: TEXT_LIMITS.description }).default(''),
  status: z.enum(Object.keys(STATUSES) as [keyof typeof STATUSES]).default('open'),
  priority: z.number().int().min(0).max(4).default(2),
  issue_type: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'an issue type is a lower-case word')
    .default('task'),
  labels: z
    .array(line({ max: TEXT_LIMITS.label, min: 1 }))
    .max(20)
    .nullish(),
  dependencies: z.array(Dependency).max(50).nullish(),
  created_at: Time,
  updated_at: Time.nullish(),
  closed_at: Time.nullish(),
});

/** `path: message` of a zod failure's first issue. */
function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.join('.');
  return where ? `${where}: ${issue.message}` : issue.message;
}

/** A `blocks` cycle among `beads` (ids in order, first repeated last), or null. */
function findCycle(beads: InterchangeBead[]): string[] | null {
  const byId = new Map(beads.map((b) => [b.id, b]));
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done' || !byId.has(id)) return null;
    if (state.get(id) === 'visiting') return [...trail.slice(trail.indexOf(id)), id];
    state.set(id, 'visiting');
    trail.push(id);
    for (const next of byId.get(id)!.dependsOn) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(id, 'done');
    return null;
  };
  for (const bead of beads) {
    const cycle = visit(bead.id);
    if (cycle) return cycle;
  }
  return null;
}

/** Parses a whole `issues.jsonl` file; blank lines are skipped. */
export function parseBeadsJsonl(file: string): ParseResult {
  const beads: InterchangeBead[] = [];
  const skipped: { line: number; id: string; reason: string }[] = [];
  const lineOf = new Map<string, number>();
  const lines = file.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const number = i + 1;
    const raw = lines[i].trim();
    if (raw.length === 0) continue;
    if (beads.length >= MAX_IMPORT_BEADS)
      return { ok: false, line: number, error: `at most ${MAX_IMPORT_BEADS} beads per import` };
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return { ok: false, line: number, error: 'not valid JSON' };
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      return { ok: false, line: number, error: 'not a JSON object' };
    const parsed = Line.safeParse(json);
    if (!parsed.success) return { ok: false, line: number, error: describe(parsed.error) };
    const line = parsed.data;
    const earlier = lineOf.get(line.id);
    if (earlier !== undefined) return { ok: false, line: number, error: `bead ${line.id} is already on line ${earlier}` };
    lineOf.set(line.id, number);
    const status = STATUSES[line.status];
    if (status === null) {
      skipped.push({ line: number, id: line.id, reason: 'deleted in bd (tombstone)' });
      continue;
    }

    const dependsOn: string[] = [];
    const related: string[] = [];
    const parents: string[] = [];
    for (const dep of line.dependencies ?? []) {
      if (dep.issue_id !== undefined && dep.issue_id !== line.id) {
        return { ok: false, line: number, error: `a dependency of ${line.id} names issue_id ${dep.issue_id}` };
      }
      if (dep.depends_on_id === line.id) return { ok: false, line: number, error: `${line.id} depends on itself` };
      const list =
        dep.type === 'blocks' ? dependsOn : dep.type === 'parent-child' ? parents : RELATED_TYPES.has(dep.type) ? related : null;
      if (list && !list.includes(dep.depends_on_id)) list.push(dep.depends_on_id);
    }
    if (parents.length > 1) return { ok: false, line: number, error: `${line.id} has more than one parent` };

    const createdAt = line.created_at;
    const closedAt = status === 'done' ? (line.closed_at ?? line.updated_at ?? createdAt) : null;
    beads.push({
      id: line.id,
      title: line.title,
      description: line.description,
      status,
      priority: line.priority,
      issueType: line.issue_type,
      labels: [...new Set(line.labels ?? [])],
      dependsOn,
      parent: parents[0] ?? null,
      related,
      createdAt,
      updatedAt: line.updated_at ?? closedAt ?? createdAt,
      closedAt,
    });
  }
  const cycle = findCycle(beads);
  if (cycle) return { ok: false, line: lineOf.get(cycle[0])!, error: `blocks dependencies form a cycle: ${cycle.join(' -> ')}` };
  return { ok: true, beads, skipped };
}

/**
 * Dependencies of `beads` on ids that are neither among them nor in `known` (the town's
 * beads): reported to the operator, never fatal.
 */
export function unresolvedDependencies(
  beads: InterchangeBead[],
  known: (id: string) => boolean,
): { id: string; dependsOn: string }[] {
  const inFile = new Set(beads.map((b) => b.id));
  return beads.flatMap((b) =>
    [...b.dependsOn, ...(b.parent ? [b.parent] : []), ...b.related]
      .filter((dep) => !inFile.has(dep) && !known(dep))
      .map((dep) => ({ id: b.id, dependsOn: dep })),
  );
}

/** A town bead as an interchange record, for export (its issue type, parent and related beads too). */
export function toInterchange(bead: Bead): InterchangeBead {
  return {
    id: bead.id,
    title: bead.title,
    description: bead.description,
    status: bead.status,
    priority: bead.priority,
    issueType: bead.issueType,
    labels: bead.labels,
    dependsOn: bead.dependsOn,
    parent: bead.parent,
    related: bead.related,
    createdAt: bead.createdAt,
    updatedAt: bead.updatedAt,
    closedAt: bead.closedAt,
  };
}

/** The interchange statuses of the town's: done is closed, the rest keep their name. */
const EXPORTED_STATUS: Record<BeadStatus, string> = {
  open: 'open',
  hooked: 'hooked',
  in_progress: 'in_progress',
  blocked: 'blocked',
  done: 'closed',
  closed: 'closed',
};

/** One bead as a line of `issues.jsonl` (no newline). */
export function beadToJsonl(bead: InterchangeBead): string {
  const dependency = (type: string) => (to: string) => ({ issue_id: bead.id, depends_on_id: to, type });
  return JSON.stringify({
    id: bead.id,
    title: bead.title,
    description: bead.description,
    status: EXPORTED_STATUS[bead.status],
    priority: bead.priority,
    issue_type: bead.issueType,
    labels: bead.labels,
    dependencies: [
      ...bead.dependsOn.map(dependency('blocks')),
      ...(bead.parent ? [dependency('parent-child')(bead.parent)] : []),
      ...bead.related.map(dependency('related')),
    ],
    created_at: new Date(bead.createdAt).toISOString(),
    updated_at: new Date(bead.updatedAt).toISOString(),
    closed_at: bead.closedAt === null ? null : new Date(bead.closedAt).toISOString(),
  });
}

/** A whole `issues.jsonl` file: one line per bead, each ending in a newline. */
export function serializeBeadsJsonl(beads: InterchangeBead[]): string {
  return beads.map((b) => beadToJsonl(b) + '\n').join('');
}
