/** The beads interchange format (`.beads/issues.jsonl`): parsing, status mapping, export. */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { Bead } from '@/contracts/records';
import {
  parseBeadsJsonl,
  serializeBeadsJsonl,
  toInterchange,
  unresolvedDependencies,
  type InterchangeBead,
} from '@/server/beads/interchange';

const T0 = '2026-11-30T09:15:00.123456789-07:00';
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ id: 'bd-a1', title: 'Fix the login', created_at: T0, ...fields });

function parsed(file: string): InterchangeBead[] {
  const result = parseBeadsJsonl(file);
  if (!result.ok) throw new Error(`line ${result.line}: ${result.error}`);
  return result.beads;
}

function refusal(file: string): string {
  const result = parseBeadsJsonl(file);
  if (result.ok) throw new Error('expected a refusal');
  return `line ${result.line}: ${result.error}`;
}

describe('parseBeadsJsonl', () => {
  it('reads every field of a bd line and ignores the fields it does not know', () => {
    const file = line({
      description: 'Users are logged out\nafter a minute.',
      status: 'open',
      priority: 1,
      issue_type: 'bug',
      labels: ['auth', 'urgent', 'auth'],
      assignee: 'someone',
      design: 'a field this town does not know',
      acceptance_criteria: 'stays logged in',
      compaction_level: 0,
      updated_at: '2026-12-01T10:00:00Z',
      dependencies: [
        { issue_id: 'bd-a1', depends_on_id: 'bd-b2', type: 'blocks', created_at: T0, created_by: 'ada' },
        { issue_id: 'bd-a1', depends_on_id: 'bd-epic', type: 'parent-child' },
        { issue_id: 'bd-a1', depends_on_id: 'bd-c3', type: 'related' },
        { issue_id: 'bd-a1', depends_on_id: 'bd-d4', type: 'discovered-from' },
        { issue_id: 'bd-a1', depends_on_id: 'bd-e5', type: 'some-future-type' },
      ],
    });
    expect(parsed(file + '\n')).toEqual([
      {
        id: 'bd-a1',
        title: 'Fix the login',
        description: 'Users are logged out\nafter a minute.',
        status: 'open',
        priority: 1,
        issueType: 'bug',
        labels: ['auth', 'urgent'],
        dependsOn: ['bd-b2'],
        parent: 'bd-epic',
        related: ['bd-c3', 'bd-d4'],
        createdAt: Date.parse('2026-11-30T16:15:00.123Z'),
        updatedAt: Date.parse('2026-12-01T10:00:00Z'),
        closedAt: null,
      },
    ]);
  });

  it('fills in the defaults of a minimal line', () => {
    const [bead] = parsed(line({}));
    expect(bead).toMatchObject({
      description: '',
      status: 'open',
      priority: 2,
      issueType: 'task',
      labels: [],
      dependsOn: [],
      parent: null,
    });
  });

  it('maps closed to done history, hooked and in_progress to open, and skips tombstones', () => {
    const file = [
      line({ id: 'c', status: 'closed', closed_at: '2026-12-02T00:00:00Z' }),
      line({ id: 'h', status: 'hooked', assignee: 'their-agent' }),
      line({ id: 'p', status: 'in_progress' }),
      line({ id: 'b', status: 'blocked' }),
      line({ id: 'd', status: 'deferred' }),
      line({ id: 'gone', status: 'tombstone' }),
    ].join('\n');
    const result = parseBeadsJsonl(file);
    if (!result.ok) throw new Error(result.error);
    expect(result.beads.map((b) => [b.id, b.status])).toEqual([
      ['c', 'done'],
      ['h', 'open'],
      ['p', 'open'],
      ['b', 'blocked'],
      ['d', 'blocked'],
    ]);
    expect(result.beads[0].closedAt).toBe(Date.parse('2026-12-02T00:00:00Z'));
    expect(result.skipped).toEqual([{ line: 6, id: 'gone', reason: 'deleted in bd (tombstone)' }]);
  });

  it.each([
    ['not JSON', `${line({})}\n{"id": "x",`, /^line 2: not valid JSON/],
    ['not an object', '[1, 2]', /^line 1: not a JSON object/],
    ['no title', line({ title: '  ' }), /^line 1: title: a bead needs a title/],
    ['a priority past 4', line({ priority: 7 }), /^line 1: priority:/],
    ['an unknown status', line({ status: 'wontfix' }), /^line 1: status:/],
    ['an id with a slash', line({ id: '../etc' }), /^line 1: id:/],
    ['a control character in the title', line({ title: 'a\u001b[31mred' }), /title: must be one line without control characters/],
    ['a lone surrogate', line({ title: 'half \ud800 pair' }), /title: must be well-formed Unicode/],
    ['a title past its bound', line({ title: 'x'.repeat(201) }), /^line 1: title:/],
    ['a bad time', line({ created_at: 'yesterday' }), /^line 1: created_at: must be an RFC 3339 time/],
    ['a repeated id', [line({}), line({ title: 'again' })].join('\n'), /^line 2: bead bd-a1 is already on line 1/],
    ['a self dependency', line({ dependencies: [{ depends_on_id: 'bd-a1', type: 'blocks' }] }), /depends on itself/],
    [
      'a dependency of another bead',
      line({ dependencies: [{ issue_id: 'bd-zz', depends_on_id: 'bd-b2', type: 'blocks' }] }),
      /names issue_id bd-zz/,
    ],
    [
      'two parents',
      line({
        dependencies: [
          { depends_on_id: 'p1', type: 'parent-child' },
          { depends_on_id: 'p2', type: 'parent-child' },
        ],
      }),
      /more than one parent/,
    ],
  ])('refuses the whole file and names the line when a line has %s', (_, file, why) => {
    expect(refusal(file)).toMatch(why);
  });

  it('refuses a cycle of blocks dependencies, naming it', () => {
    const file = [
      line({ id: 'a', dependencies: [{ depends_on_id: 'b', type: 'blocks' }] }),
      line({ id: 'b', dependencies: [{ depends_on_id: 'c', type: 'blocks' }] }),
      line({ id: 'c', dependencies: [{ depends_on_id: 'a', type: 'blocks' }] }),
    ].join('\n');
    expect(refusal(file)).toBe('line 1: blocks dependencies form a cycle: a -> b -> c -> a');
  });

  it('reports dependencies on beads neither in the file nor in the town', () => {
    const beads = parsed(
      [
        line({
          id: 'a',
          dependencies: [{ depends_on_id: 'b', type: 'blocks' }, { depends_on_id: 'town-1' }, { depends_on_id: 'elsewhere' }],
        }),
        line({ id: 'b', dependencies: [{ depends_on_id: 'epic-9', type: 'parent-child' }] }),
      ].join('\n'),
    );
    expect(unresolvedDependencies(beads, (id) => id === 'town-1')).toEqual([
      { id: 'a', dependsOn: 'elsewhere' },
      { id: 'b', dependsOn: 'epic-9' },
    ]);
  });
});

describe('serializeBeadsJsonl', () => {
  it('writes a file that parses to the same beads', () => {
    const original = parsed(
      [
        line({ id: 'a', labels: ['x'], dependencies: [{ depends_on_id: 'b' }, { depends_on_id: 'e', type: 'parent-child' }] }),
        line({ id: 'b', status: 'closed', closed_at: '2026-12-02T00:00:00Z', description: 'tabs\tand\nlines' }),
        line({ id: 'e', issue_type: 'epic', status: 'blocked', dependencies: [{ depends_on_id: 'a', type: 'related' }] }),
      ].join('\n'),
    );
    const file = serializeBeadsJsonl(original);
    expect(file.split('\n')).toHaveLength(4); // three lines and the final newline
    expect(parsed(file)).toEqual(original);
  });

  it('exports a town bead that an agent holds as hooked, and it comes back open', () => {
    const [bead] = parsed(line({}));
    const file = serializeBeadsJsonl([{ ...bead, status: 'hooked' }]);
    expect(JSON.parse(file)).toMatchObject({ status: 'hooked', closed_at: null });
    expect(parsed(file)[0].status).toBe('open');
  });
});

describe('toInterchange', () => {
  it('exports town beads to a file that parses back to their fields', () => {
    const town: Bead[] = [
      {
        id: 'gt-a',
        title: 'Add the cache',
        description: 'd',
        status: 'in_progress',
        priority: 1,
        labels: ['perf'],
        dependsOn: ['gt-b'],
        issueType: 'feature',
        parent: 'gt-b',
        related: ['gt-c'],
        paths: ['src/cache'],
        rig: 'engine',
        assignee: 'engine/toast',
        convoyId: null,
        createdAt: 1_000,
        updatedAt: 2_000,
        closedAt: null,
      },
      {
        id: 'gt-b',
        title: 'Measure it',
        description: '',
        status: 'done',
        priority: 2,
        labels: [],
        dependsOn: [],
        issueType: 'epic',
        parent: null,
        related: [],
        paths: [],
        rig: 'engine',
        assignee: null,
        convoyId: null,
        createdAt: 1_000,
        updatedAt: 3_000,
        closedAt: 3_000,
      },
    ];
    const back = parsed(serializeBeadsJsonl(town.map((b) => toInterchange(b))));
    expect(
      back.map(({ id, title, status, priority, labels, dependsOn, issueType, parent, related, closedAt }) => ({
        id,
        title,
        status,
        priority,
        labels,
        dependsOn,
        issueType,
        parent,
        related,
        closedAt,
      })),
    ).toEqual([
      {
        id: 'gt-a',
        title: 'Add the cache',
        status: 'open',
        priority: 1,
        labels: ['perf'],
        dependsOn: ['gt-b'],
        issueType: 'feature',
        parent: 'gt-b',
        related: ['gt-c'],
        closedAt: null,
      },
      {
        id: 'gt-b',
        title: 'Measure it',
        status: 'done',
        priority: 2,
        labels: [],
        dependsOn: [],
        issueType: 'epic',
        parent: null,
        related: [],
        closedAt: 3_000,
      },
    ]);
  });
});

describe('a large file', () => {
  it('parses 1,000 beads with dependencies fast', () => {
    const lines = Array.from({ length: 1_000 }, (_, i) =>
      line({
        id: `bd-${i}`,
        title: `Bead number ${i}`,
        description: 'Some words about the work. '.repeat(20),
        labels: ['area:core', `wave:${i % 10}`],
        dependencies: [
          ...(i > 0 ? [{ issue_id: `bd-${i}`, depends_on_id: `bd-${i - 1}`, type: 'blocks' }] : []),
          ...(i > 10 ? [{ issue_id: `bd-${i}`, depends_on_id: `bd-${i - 10}`, type: 'related' }] : []),
        ],
      }),
    );
    const file = lines.join('\n');
    parseBeadsJsonl(file); // warm up
    const started = performance.now();
    const result = parseBeadsJsonl(file);
    const ms = performance.now() - started;
    console.log(`parsed 1,000 beads (${(file.length / 1024).toFixed(0)} KiB) in ${ms.toFixed(1)} ms`);
    expect(result.ok && result.beads.length).toBe(1_000);
    expect(ms).toBeLessThan(1_000);
  });
});
