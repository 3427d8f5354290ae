/** The upstream URL and branch rules: what a rig may clone, land on, and how a URL is shown. */
import { describe, expect, it } from 'vitest';
import {
  BranchName,
  GitUrl,
  MAX_GIT_URL_LENGTH,
  branchNameProblem,
  checkGitUrl,
  redactCredentials,
  redactUrl,
  withoutPassword,
} from '@/contracts/git-url';

const reason = (url: string) => {
  const checked = checkGitUrl(url);
  return checked.ok ? null : checked.reason;
};

describe('checkGitUrl', () => {
  it.each([
    ['https://github.com/ada/engine.git', 'https', 'github.com'],
    ['http://192.168.1.4:8080/repos/x.git', 'http', '192.168.1.4'],
    ['ssh://git@example.com:2222/srv/x.git', 'ssh', 'example.com'],
    ['ssh://[::1]:22/srv/x.git', 'ssh', '[::1]'],
    ['git@github.com:ada/engine.git', 'ssh', 'github.com'],
    ['example.com:srv/x.git', 'ssh', 'example.com'],
    ['git://git.kernel.org/pub/scm/git/git.git', 'git', 'git.kernel.org'],
    ['file:///srv/repos/x.git', 'file', null],
    ['/srv/repos/My Project', 'file', null],
  ])('accepts %s as %s', (url, transport, host) => {
    const checked = checkGitUrl(url);
    expect(checked).toMatchObject({ ok: true, parts: { transport, host } });
  });

  it('notes a password when a URL carries one', () => {
    expect(checkGitUrl('https://ada:s3cret@example.com/x.git')).toMatchObject({
      ok: true,
      parts: { user: 'ada', hasPassword: true },
    });
    expect(checkGitUrl('https://ada@example.com/x.git')).toMatchObject({ ok: true, parts: { hasPassword: false } });
  });

  it.each([
    ['ext::sh -c touch% /tmp/pwned', /remote helper/],
    ['fd::3', /remote helper/],
    ['github.com::ada/x', /remote helper/],
    ['ftp://example.com/x.git', /transport "ftp" is not allowed/],
    ['HTTPS://example.com/x.git', /transport "HTTPS" is not allowed/],
    ['git+ssh://example.com/x.git', /transport "git\+ssh" is not allowed/],
    ['--upload-pack=touch /tmp/pwned', /cannot start with "-"/],
    ['-oProxyCommand=x', /cannot start with "-"/],
    ['ssh://-oProxyCommand=touch%20x/srv/x.git', /host/],
    ['ssh://-oProxyCommand=x@example.com/srv/x.git', /user name/],
    ['-oProxyCommand=x@example.com:srv/x.git', /cannot start with "-"/],
    ['example.com:-x', /path cannot start with "-"/],
    ['https://example.com/x.git\n[town] forged line', /control characters/],
    ['/srv/x\u0000.git', /control characters/],
    ['relative/path', /absolute path/],
    ['./x', /absolute path/],
    ['~/x.git', /absolute path/],
    ['file://server/share/x.git', /file:\/\/\/absolute/],
    ['https://example.com', /repository path/],
    ['https://example.com:http/x', /port/],
    ['https://ada:p@ss@example.com/x.git', /percent-encoded/],
    ['ada:s3cret@example.com:x.git', /cannot carry a password/],
    ['', /required/],
  ])('refuses %j', (url, why) => {
    expect(reason(url)).toMatch(why);
  });

  it('refuses a URL longer than the limit and accepts one at it', () => {
    const base = 'https://example.com/';
    const atLimit = base + 'x'.repeat(MAX_GIT_URL_LENGTH - base.length);
    expect(reason(atLimit)).toBeNull();
    expect(reason(atLimit + 'x')).toMatch(/at most/);
  });

  it('gives zod schemas the same reasons when used in an input schema', () => {
    const result = GitUrl.safeParse('ext::sh -c id');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toMatch(/remote helper/);
    expect(BranchName.safeParse('main').success).toBe(true);
    expect(BranchName.safeParse('-f').error?.issues[0].message).toMatch(/cannot start with "-"/);
  });
});

describe('branchNameProblem', () => {
  it.each(['main', 'release/2.4', 'feature/ünïcode', 'a.b-c_d', 'x@y'])('accepts %s', (name) => {
    expect(branchNameProblem(name)).toBeNull();
  });

  it.each([
    '',
    '-f',
    '--force',
    'HEAD',
    '@',
    'a..b',
    'a@{1}',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[1]',
    'a\\b',
    '/a',
    'a/',
    'a//b',
    'a.',
    '.hidden',
    'a/.b',
    'a.lock',
    'a.lock/b',
    'a\tb',
    'a\u007fb',
    'x'.repeat(256),
  ])('refuses %j', (name) => {
    expect(branchNameProblem(name)).not.toBeNull();
  });
});

describe('redaction', () => {
  it('masks the password and keeps the user when a URL carries one', () => {
    expect(redactUrl('https://ada:secret@host/x.git')).toBe('https://ada:***@host/x.git');
    expect(redactUrl('ssh://ada:secret@host:22/x.git')).toBe('ssh://ada:***@host:22/x.git');
    expect(withoutPassword('https://ada:secret@host/x.git')).toBe('https://ada@host/x.git');
  });

  it('leaves a URL without a password unchanged', () => {
    for (const url of ['https://ada@host/x.git', 'https://host/x@y.git', 'git@host:x.git', '/srv/x.git']) {
      expect(redactUrl(url)).toBe(url);
      expect(withoutPassword(url)).toBe(url);
    }
  });

  it('masks every password in free text such as a git message', () => {
    const text = "fatal: unable to access 'https://ada:secret@host/x.git/': Could not resolve host\nalso http://b:pw%40x@h/";
    const redacted = redactCredentials(text);
    expect(redacted).not.toMatch(/secret|pw%40x/);
    expect(redacted).toContain("'https://ada:***@host/x.git/'");
    expect(redacted).toContain('http://b:***@h/');
  });

  it('reads a megabyte of URL-like text without backtracking for minutes', () => {
    // Each of these took the unbounded pattern from seconds to minutes (an audit of a 1 MB title hung CI).
    for (const text of ['a'.repeat(1_000_000), 'x://a:'.repeat(200_000), 'https://u:'.repeat(100_000)]) {
      expect(redactCredentials(text)).toBe(text);
    }
    expect(redactCredentials(`${'x'.repeat(100_000)} https://ada:secret@host/x.git`)).not.toContain('secret');
  });
});
