/**
 * The one text rule (contracts/text.ts): what the API, the socket and the CLI accept as a
 * string, and the commands naming the field they refuse.
 */
import { describe, expect, it } from 'vitest';
import { clip, isWellFormed, line, text } from '@/contracts/text';
import { COMMANDS } from '@/server/commands';
import { describeIssues } from '@/server/commands/command';

const refusal = (schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown) => {
  const r = schema.safeParse(value);
  return r.success ? null : describeIssues(r.error as never);
};

describe('the text rule', () => {
  it('refuses a lone surrogate of either half and accepts a real pair (an emoji)', () => {
    expect(isWellFormed('ok \ud83d\ude80')).toBe(true);
    expect(isWellFormed('\ud800')).toBe(false);
    expect(isWellFormed('x\udfffy')).toBe(false);
    expect(refusal(line({ max: 10 }), 'a\ud800')).toBe('must be well-formed Unicode text (a lone UTF-16 surrogate is not)');
  });

  it('refuses NUL everywhere, and other control characters in one-line fields only', () => {
    expect(refusal(text({ max: 100 }), 'a\u0000b')).toContain('cannot contain NUL characters');
    expect(refusal(text({ max: 100 }), 'line one\nline\ttwo\r\n')).toBeNull();
    expect(refusal(text({ max: 100 }), 'bell\u0007')).toBe('cannot contain control characters other than tab and line breaks');
    expect(refusal(line({ max: 100 }), 'two\nlines')).toBe('must be one line without control characters');
    expect(refusal(line({ max: 100 }), 'del\u007f')).toBe('must be one line without control characters');
  });

  it('bounds the length, after trimming when asked', () => {
    expect(refusal(line({ max: 3 }), 'abcd')).toBe('must be at most 3 characters');
    expect(refusal(line({ max: 3, min: 1, trim: true, minMessage: 'a title' }), '   ')).toBe('a title');
    expect(line({ max: 3, trim: true }).parse('  ab  ')).toBe('ab');
  });

  it('clips without leaving half a surrogate pair at either end', () => {
    expect(clip('ab\ud83d\ude80', 3)).toBe('ab');
    expect(clip('\ud83d\ude80yz', 3, 'end')).toBe('yz');
    expect(isWellFormed(clip('🚀'.repeat(10), 7))).toBe(true);
  });
});

describe('commands under the text rule', () => {
  const input = (name: string) => COMMANDS.find((c) => c.name === name)!.input;

  it.each([
    ['bead.create', 'labels.1', { rig: 'app', title: 'fine', labels: ['ok', 'x\ud800'] }],
    ['bead.create', 'description', { rig: 'app', title: 'fine', description: 'nul\u0000' }],
    ['convoy.create', 'beads.1.paths.0', { title: 'c', beads: [{ title: 'a' }, { title: 'b', paths: ['core/\u0001'] }] }],
    ['gate.create', 'title', { kind: 'human', title: 'go\u0000', holds: ['gt-1'] }],
    [
      'refinery.configure',
      'checks.0.command.1',
      { rig: 'app', checks: [{ name: 'lint', command: ['npx', 'x\ud800'], timeoutMs: 1000 }] },
    ],
    ['agent.configure', 'agent.command.1', { rig: 'app', agent: { kind: 'command', command: ['bin/agent', 'a\u0000'] } }],
    ['alert.silence', 'reason', { matchers: [{ name: 'rig', value: 'a' }], reason: 'why\ud800', durationMs: 60_000 }],
    ['alert.rule.update', 'name', { id: 'merge-queue-backlog', name: 'n\u001b[31m' }],
    ['escalation.ack', 'id', { id: 'esc\u0000' }],
  ])('refuses %s naming the field %s', (name, field, value) => {
    const message = refusal(input(name), value);
    expect(message).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}: `));
  });
});
