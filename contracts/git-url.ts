/**
 * The git URL and branch rules of a rig's upstream: which repositories the town may clone,
 * which branch names it may land on, and how a URL is shown. Pure (no Node APIs), so the
 * server, the CLI and the browser refuse the same values with the same words.
 *
 * Why so strict: the URL and the branch reach `git clone`, `git fetch` and `git push`.
 * Argument arrays stop shell injection; these rules stop the rest git itself allows:
 * remote helpers that run programs (`ext::sh -c ...`, `fd::`), values git would read as
 * options (`--upload-pack=...`, an ssh host `-oProxyCommand=...`), control characters
 * that forge log lines, and relative paths that depend on the server's working directory.
 * The adapter also sets GIT_ALLOW_PROTOCOL, so git refuses a transport these rules missed.
 */
import { z } from 'zod';

/** The transports a rig's upstream may use; GIT_ALLOW_PROTOCOL is built from the same list. */
export const GIT_TRANSPORTS = ['https', 'http', 'ssh', 'git', 'file'] as const;
export type GitTransport = (typeof GIT_TRANSPORTS)[number];

/** Longer than any real repository URL or path; bounds what is stored and shown. */
export const MAX_GIT_URL_LENGTH = 2_048;
/** git has no limit; 255 bytes is what most filesystems allow for one ref's file name. */
export const MAX_BRANCH_LENGTH = 255;

/** A URL that passed the rules, taken apart. */
export interface GitUrlParts {
  transport: GitTransport;
  /** The user before `@`, or null (none, or a local path). */
  user: string | null;
  /** Host name or `[ipv6]`; null for file:// URLs and local paths. */
  host: string | null;
  /** Whether the URL carries a password (`user:password@`): accepted, never stored or shown. */
  hasPassword: boolean;
}

export type GitUrlCheck = { ok: true; parts: GitUrlParts } | { ok: false; reason: string };

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
/** `<helper>::<address>`: git runs `git-remote-<helper>` (ext:: runs any command). */
const REMOTE_HELPER = /^[A-Za-z][A-Za-z0-9+.-]*::/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/**
 * RFC 3986 userinfo characters: `@`, `/` and `:` inside a user or password must be
 * percent-encoded, which makes where the password ends (and so its redaction) unambiguous.
 */
const USER = /^[A-Za-z0-9._~%!$&'()*+,;=][A-Za-z0-9._~%!$&'()*+,;=-]*$/;
const PASSWORD = /^[A-Za-z0-9._~%!$&'()*+,;=:-]*$/;
/** A DNS name or IPv4 address (never starting with `-`), or a bracketed IPv6 address. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;
const PORT = /^[0-9]{1,5}$/;

const refused = (reason: string): GitUrlCheck => ({ ok: false, reason });
const allowedList = GIT_TRANSPORTS.join(', ');

/** Checks `user[:password]@host[:port]` (the part before the path of a scheme URL). */
function checkAuthority(authority: string, transport: GitTransport): GitUrlCheck {
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? null : authority.slice(0, at);
  const hostPort = authority.slice(at + 1);
  let user: string | null = null;
  let hasPassword = false;
  if (userinfo !== null) {
    const colon = userinfo.indexOf(':');
    user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    hasPassword = colon !== -1;
    if (!USER.test(user))
      return refused('the user name must be plain characters, not start with "-" (percent-encode @, / and :)');
    if (hasPassword && !PASSWORD.test(userinfo.slice(colon + 1))) {
      return refused('the password must be percent-encoded (@ and / as %40 and %2F)');
    }
  }
  const portAt = hostPort.startsWith('[') ? hostPort.indexOf(']:') + 1 : hostPort.lastIndexOf(':');
  const host = portAt > 0 ? hostPort.slice(0, portAt) : hostPort;
  if (portAt > 0 && !PORT.test(hostPort.slice(portAt + 1))) return refused('the port must be a number');
  if (!HOST.test(host)) return refused('the host must be a host name or an IP address');
  return { ok: true, parts: { transport, user, host, hasPassword } };
}

/**
 * Whether the town may use `value` as a rig's upstream, and its parts. Accepted:
 * `https://`, `http://`, `ssh://`, `git://` and `file:///` URLs, scp-like `user@host:path`
 * (ssh), and an absolute local path. Refused: every other transport, remote helpers
 * (`ext::`, `fd::`), relative paths, a value or host or user starting with `-`, control
 * characters, and anything longer than MAX_GIT_URL_LENGTH.
 */
export function checkGitUrl(value: string): GitUrlCheck {
  if (value.length === 0) return refused('a repository URL or path is required');
  if (value.length > MAX_GIT_URL_LENGTH) return refused(`a repository URL is at most ${MAX_GIT_URL_LENGTH} characters`);
  if (CONTROL.test(value)) return refused('a repository URL cannot contain control characters');
  if (value.startsWith('-')) return refused('a repository URL cannot start with "-"');
  if (REMOTE_HELPER.test(value))
    return refused(`remote helper transports (ext::, fd::, ...) are not allowed; use ${allowedList}`);

  const scheme = SCHEME.exec(value);
  if (scheme) {
    const transport = GIT_TRANSPORTS.find((t) => t === scheme[1]);
    if (!transport) return refused(`transport "${scheme[1]}" is not allowed; use ${allowedList}`);
    const rest = value.slice(scheme[0].length);
    const slash = rest.indexOf('/');
    if (transport === 'file') {
      // file:///abs/path only: a host (file://server/...) would be read as part of the path.
      if (slash !== 0 || rest.length < 2) return refused('a file URL is file:///absolute/path');
      return { ok: true, parts: { transport, user: null, host: null, hasPassword: false } };
    }
    if (slash === -1 || slash === rest.length - 1) return refused('the URL needs a repository path after the host');
    return checkAuthority(rest.slice(0, slash), transport);
  }

  if (value.startsWith('/')) return { ok: true, parts: { transport: 'file', user: null, host: null, hasPassword: false } };

  // scp-like `[user@]host:path`: git's rule is a colon before any slash.
  const colon = value.startsWith('[') ? value.indexOf(']:') + 1 : value.indexOf(':');
  const slash = value.indexOf('/');
  if (colon > 0 && (slash === -1 || colon < slash)) {
    const path = value.slice(colon + 1);
    if (path.length === 0) return refused('the URL needs a repository path after "host:"');
    if (path.startsWith('-')) return refused('a repository path cannot start with "-"');
    // `user:password@host:path` would read as host "user": refuse it rather than show the password.
    if (/^[^/]*@/.test(path)) return refused('an scp-like URL cannot carry a password; use ssh://user@host/path');
    return checkAuthority(value.slice(0, colon), 'ssh');
  }
  return refused('use a URL (https://, ssh://, git://, file:///) or an absolute path');
}

/**
 * Whether `name` may be a rig's target branch: git's rules for a branch name
 * (`git check-ref-format --branch`), at most MAX_BRANCH_LENGTH characters. Returns why
 * not, or null when it may.
 */
export function branchNameProblem(name: string): string | null {
  if (name.length === 0) return 'a branch name is required';
  if (name.length > MAX_BRANCH_LENGTH) return `a branch name is at most ${MAX_BRANCH_LENGTH} characters`;
  if (name.startsWith('-')) return 'a branch name cannot start with "-"';
  if (CONTROL.test(name) || /[ ~^:?*[\\]/.test(name)) {
    return 'a branch name cannot contain spaces, control characters or any of ~ ^ : ? * [ \\';
  }
  if (name === '@' || name === 'HEAD') return `"${name}" cannot be a branch name`;
  if (name.includes('..') || name.includes('@{')) return 'a branch name cannot contain ".." or "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//'))
    return 'a branch name cannot start or end with "/" or contain "//"';
  if (name.endsWith('.')) return 'a branch name cannot end with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'no part of a branch name can start with "."';
    if (part.endsWith('.lock')) return 'no part of a branch name can end with ".lock"';
  }
  return null;
}

/** `scheme://user:password@` in a URL whose userinfo has been checked (no `/` or `@` inside). */
const URL_USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/]*)@/;

/** `url` with its password replaced by `***`, for everything that is shown, logged or evented. */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, (whole, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon === -1 ? whole : `${scheme}${userinfo.slice(0, colon)}:***@`;
  });
}

/** `url` without its password (the user stays, so credential helpers look up the right one). */
export function withoutPassword(url: string): string {
  return url.replace(URL_USERINFO, (whole, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon === -1 ? whole : `${scheme}${userinfo.slice(0, colon)}@`;
  });
}

/**
 * Redacts every `scheme://user:password@` in free text (git's messages, which may echo the
 * URL). Deliberately greedy: it may also mask a `host:port/path@...` that only looks like
 * one; hiding too much of a log line is better than showing a password.
 */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS_IN_TEXT, '$1$2:***@');
}

// Every part is bounded and a scheme starts only where a word does, so a megabyte of
// text without a URL costs linear time (a password cannot hold a `/`: it would end the authority) (unbounded `*`s backtracked quadratically: a 1 MB
// title took minutes to audit). Real schemes, users and passwords fit the bounds.
const CREDENTIALS_IN_TEXT = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)([^\s/@:'"]{0,256}):[^\s/@'"]{0,1024}@/g;

/** A rig's upstream URL, for zod input schemas (the command, the API, the CLI, the dialog). */
export const GitUrl = z.string().superRefine((value, ctx) => {
  const checked = checkGitUrl(value);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.reason });
});

/** A rig's target branch, for zod input schemas. */
export const BranchName = z.string().superRefine((value, ctx) => {
  const problem = branchNameProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
