/** Reading git's clone progress, failure reasons and push --porcelain results. */
import { describe, expect, it } from 'vitest';
import type { CloneProgress } from '@/server/engine/ports';
import {
  ProgressReader,
  classifyGitFailure,
  gitReason,
  parseProgressLine,
  parsePushPorcelain,
} from '@/server/git/upstream-messages';

describe('progress', () => {
  it('reads the phase and percent of a progress line, local or remote', () => {
    expect(parseProgressLine('Receiving objects:  45% (9/20), 1.20 MiB | 3.00 MiB/s')).toEqual({
      phase: 'Receiving objects',
      percent: 45,
    });
    expect(parseProgressLine('remote: Compressing objects: 100% (3/3), done.')).toEqual({
      phase: 'Compressing objects',
      percent: 100,
    });
    expect(parseProgressLine("Cloning into bare repository 'x'...")).toBeNull();
  });

  it('reports each change once when progress arrives in chunks split mid-line', () => {
    const seen: CloneProgress[] = [];
    const reader = new ProgressReader((p) => seen.push(p));
    reader.push("Cloning into bare repository 'x'...\nReceiving objects:  5");
    reader.push('0% (1/2)\rReceiving objects:  50% (1/2)\rReceiving objects: 100% (2/2), done.\n');
    reader.push('Resolving deltas: 100% (1/1)');
    reader.end();
    expect(seen).toEqual([
      { phase: 'Receiving objects', percent: 50 },
      { phase: 'Receiving objects', percent: 100 },
      { phase: 'Resolving deltas', percent: 100 },
    ]);
    expect(reader.lines).toEqual(["Cloning into bare repository 'x'..."]);
  });
});

describe('gitReason', () => {
  it('names the first line that says what went wrong', () => {
    const ssh =
      'ssh: Could not resolve hostname nowhere: Name or service not known\nfatal: Could not read from remote repository.\n';
    expect(gitReason(ssh, 'x')).toBe('ssh: Could not resolve hostname nowhere: Name or service not known');
    const branch =
      "Cloning into bare repository 'e'...\nwarning: Could not find remote branch nope to clone.\nfatal: Remote branch nope not found in upstream origin\n";
    expect(gitReason(branch, 'x')).toBe('Remote branch nope not found in upstream origin');
    expect(gitReason('', 'clone failed (git exit 128)')).toBe('clone failed (git exit 128)');
  });

  it('redacts a password git echoes in its message', () => {
    const reason = gitReason("fatal: unable to access 'https://ada:s3cret@host/x.git/': Could not resolve host: host", 'x');
    expect(reason).not.toContain('s3cret');
    expect(reason).toContain('https://ada:***@host/x.git/');
  });
});

describe('classifyGitFailure', () => {
  it.each([
    ['fatal: Remote branch nope not found in upstream origin', 'no_such_branch'],
    ["fatal: couldn't find remote ref refs/heads/gone", 'no_such_branch'],
    ["fatal: could not read Username for 'https://host': terminal prompts disabled", 'auth'],
    ['git@host: Permission denied (publickey).\nfatal: Could not read from remote repository.', 'auth'],
    ["fatal: '/srv/x' does not appear to be a git repository", 'not_a_repository'],
    ["fatal: repository 'https://host/x.git/' not found", 'not_a_repository'],
    ["fatal: unable to access 'https://host/x.git/': Failed to connect to host port 443: Connection refused", 'unreachable'],
    ['fatal: protocol error: bad pack header', 'failed'],
  ])('classifies %j as %s', (stderr, kind) => {
    expect(classifyGitFailure(stderr)).toBe(kind);
  });
});

describe('parsePushPorcelain', () => {
  it('reads each ref line and skips the To and Done lines', () => {
    const stdout = [
      'To /srv/upstream.git',
      '!\t4ff870d0:refs/heads/main\t[rejected] (stale info)',
      ' \trefs/heads/a:refs/heads/a\tbc250d1..9420d86',
      '=\trefs/heads/b:refs/heads/b\t[up to date]',
      'Done',
    ].join('\n');
    expect(parsePushPorcelain(stdout)).toEqual([
      { flag: '!', from: '4ff870d0', to: 'refs/heads/main', summary: '[rejected] (stale info)' },
      { flag: ' ', from: 'refs/heads/a', to: 'refs/heads/a', summary: 'bc250d1..9420d86' },
      { flag: '=', from: 'refs/heads/b', to: 'refs/heads/b', summary: '[up to date]' },
    ]);
  });
});
