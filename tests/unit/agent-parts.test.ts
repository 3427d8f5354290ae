/**
 * The pieces of the external-agent runtime an operator depends on: usage lines parsed
 * strictly (a wrong count is a wrong bill), argv templates filled as data in one pass,
 * and the agent log rotated so a chatty agent cannot fill the disk.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentLog, readLogTail } from '../../server/agents/agent-log';
import { fillTemplate, templateOf, type TemplateValues } from '../../server/agents/presets';
import { programProblem } from '../../server/agents/program';
import { LineSplitter, parseUsageLine } from '../../server/agents/usage-protocol';

describe('the usage line protocol', () => {
  it('reads a usage line into tokens and a model', () => {
    expect(parseUsageLine('GT_USAGE {"input_tokens": 1200, "output_tokens": 340, "model": "claude-sonnet-4-5"}\r')).toEqual({
      kind: 'usage',
      usage: { inputTokens: 1200, outputTokens: 340, model: 'claude-sonnet-4-5' },
    });
  });

  it.each([
    ['GT_USAGE {"input_tokens": 1.5, "output_tokens": 1, "model": "m"}', /input_tokens must be a whole number/],
    ['GT_USAGE {"input_tokens": 1, "output_tokens": null, "model": "m"}', /output_tokens must be a whole number/],
    ['GT_USAGE {"input_tokens": 1, "output_tokens": 1, "model": "rm -rf /"}', /model must be a model name/],
    ['GT_USAGE {"input_tokens": 1e12, "output_tokens": 1, "model": "m"}', /input_tokens is over/],
    ['GT_USAGE {"input_tokens": 1', /not JSON/],
    ['GT_USAGE "text"', /not a JSON object/],
  ])('refuses %s', (line, reason) => {
    const parsed = parseUsageLine(line);
    expect(parsed.kind).toBe('malformed');
    expect(parsed.kind === 'malformed' && parsed.reason).toMatch(reason);
  });

  it('leaves ordinary output alone, including lines that only mention the marker', () => {
    expect(parseUsageLine('compiling... GT_USAGE {"input_tokens": 1}')).toEqual({ kind: 'other' });
    expect(parseUsageLine('GT_USAGE_TOTAL 5')).toEqual({ kind: 'other' });
  });

  it('splits output into lines across chunks and drops an endless line', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    splitter.push('GT_USAGE {"input_');
    splitter.push('tokens": 1}\nsecond');
    splitter.push('x'.repeat(70 * 1024));
    splitter.push(' still the long line\nthird\nlast');
    splitter.end();
    expect(lines).toEqual(['GT_USAGE {"input_tokens": 1}', 'third', 'last']);
  });
});

describe('argv templates', () => {
  const values: TemplateValues = {
    prompt: 'fix {beadId}; $(rm -rf ~)',
    promptFile: '/data/agents/r/p/prompt.md',
    beadId: 'gt-1',
    beadTitle: 'a "quoted" title {promptFile}',
    rig: 'r',
    polecat: 'p',
    worktree: '/w',
    branch: 'polecat/p',
    model: 'gpt-5',
    mode: 'fresh',
    attempt: '1',
  };

  it('substitutes whole values in one pass, never re-reading what it put in', () => {
    expect(fillTemplate(['agent', '--title={beadTitle}', '{prompt}', '{unknown}'], values)).toEqual([
      'agent',
      '--title=a "quoted" title {promptFile}',
      'fix {beadId}; $(rm -rf ~)',
      '{unknown}',
    ]);
  });

  it('builds a preset command with its model and extra arguments', () => {
    expect(fillTemplate(templateOf({ kind: 'preset', preset: 'aider', model: 'gpt-5', args: ['--no-stream'] }), values)).toEqual([
      'aider',
      '--yes-always',
      '--auto-commits',
      '--message-file',
      '/data/agents/r/p/prompt.md',
      '--model',
      'gpt-5',
      '--no-stream',
    ]);
  });

  it('refuses a relative program outside the rig, accepts one inside, on PATH or absolute', () => {
    expect(programProblem('../bin/agent')).toMatch(/outside the rig/);
    expect(programProblem('tools/../../agent')).toMatch(/outside the rig/);
    expect(programProblem('tools/agent.sh')).toBeNull();
    expect(programProblem('claude')).toBeNull();
    expect(programProblem('/usr/local/bin/codex')).toBeNull();
  });
});

describe('the agent log', () => {
  let dir: string;
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('rotates past its size, keeps one old file, and the tail spans both', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-log-'));
    const log = new AgentLog(dir, 1_000);
    for (let i = 0; i < 60; i++) void log.append(`line ${String(i).padStart(3, '0')} ${'.'.repeat(40)}\n`);
    await log.flush();
    expect((await stat(path.join(dir, 'agent.log'))).size).toBeLessThanOrEqual(1_000);
    expect((await stat(path.join(dir, 'agent.log.1'))).size).toBeLessThanOrEqual(1_000);
    expect(await readFile(path.join(dir, 'agent.log'), 'utf8')).toContain('line 059');

    const tail = await readLogTail(dir, 1_500);
    const lines = tail.text.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^line 059/);
    expect(lines[0]).toMatch(/^line \d{3} \.+$/); // starts on a whole line
    expect(tail.omittedBytes).toBeGreaterThan(0);
    expect(tail.updatedAt).not.toBeNull();
  });

  it('has an empty tail before the agent printed anything', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gt-log-'));
    expect(await readLogTail(path.join(dir, 'none'))).toEqual({ text: '', omittedBytes: 0, updatedAt: null });
  });
});
