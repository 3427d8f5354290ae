/**
 * Writes a git commit object as a loose object, in-process, byte for byte what
 * `git commit-tree <tree> -p <parent>... -m <message>` (git 2.39) writes for the same
 * tree, parents, message, identities and date: same bytes, so the same id.
 *
 * The object is `commit <size>\0<content>`, its id the SHA-1 of those bytes, and it is
 * stored zlib-deflated at `<git dir>/objects/<2 hex>/<38 hex>`, the way git stores it:
 * written in full to a `tmp_obj_*` file beside its final name, then hard-linked into
 * place (renamed where links are not supported). A process killed at any moment leaves
 * the object complete or absent, never truncated under its name; an interrupted
 * `tmp_obj_*` file is what git itself leaves behind, ignored by fsck and removed by gc.
 *
 * Whatever this module cannot write exactly as git would throws UnsupportedObjectError,
 * before anything is written, so the caller can let the git CLI write it instead:
 * repositories that are not SHA-1 (ids that are not 40 hex digits, or a configured
 * object format other than sha1), and text git would re-encode (Unicode noncharacters
 * and lone surrogates, which git treats as invalid UTF-8 and rewrites as Latin-1). Input
 * git would refuse or silently alter (an identity with `<`, `>` or a newline, or with
 * characters git strips from its ends; a message with a NUL) is refused with an Error.
 *
 * It does not check that the tree and the parents exist and have the right types (git
 * commit-tree does): the caller passes ids git has just given it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

export interface Identity {
  name: string;
  email: string;
}

/** A git timestamp: seconds since the epoch and the author's offset from UTC. */
export interface GitDate {
  seconds: number;
  /** Minutes east of UTC (+0130 is 90, -0700 is -420). */
  offsetMinutes: number;
}

export interface CommitObject {
  tree: string;
  parents: string[];
  message: string;
  author: Identity;
  committer: Identity;
  /** Author and committer date; default now, in the local time zone (as git). */
  date?: GitDate;
}

export interface WriteOptions {
  /** fsync the object file before linking it into place (git's core.fsync). */
  fsync?: boolean;
}

/** This commit (or repository) is one only the git CLI can write exactly: use it. */
export class UnsupportedObjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedObjectError';
  }
}

const SHA1_HEX = /^[0-9a-f]{40}$/;

/**
 * Why the repository's configuration needs the git CLI to write objects, or null when
 * this module writes them exactly as git would. `config` holds the values of
 * lower-cased keys, as `git config --get-regexp` prints them.
 */
export function configNeedsCli(config: ReadonlyMap<string, string>): string | null {
  const format = config.get('extensions.objectformat');
  if (format !== undefined && format.toLowerCase() !== 'sha1') return `extensions.objectformat=${format}`;
  if (config.has('extensions.compatobjectformat')) return 'extensions.compatobjectformat';
  // A non-UTF-8 commit encoding adds an `encoding` header.
  const encoding = config.get('i18n.commitencoding');
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) return `i18n.commitencoding=${encoding}`;
  // A shared repository gives new object directories group (or other) permissions.
  const shared = config.get('core.sharedrepository');
  if (shared !== undefined && !/^(false|umask|no|off|0)$/i.test(shared)) return `core.sharedrepository=${shared}`;
  return null;
}

/** Whether git (per its configuration) would fsync a new loose object; a superset, to be safe. */
export function configWantsFsync(config: ReadonlyMap<string, string>): boolean {
  const legacy = config.get('core.fsyncobjectfiles');
  if (legacy !== undefined && !/^(false|no|off|0)$/i.test(legacy)) return true;
  const components = config.get('core.fsync');
  return components !== undefined && components.trim() !== '' && components.trim() !== 'none';
}

/** The characters git's ident code strips from both ends of a name or email ("crud"). */
function isCrud(char: string): boolean {
  return char.charCodeAt(0) <= 32 || `.,:;"'\\<>`.includes(char);
}

function checkIdentityPart(role: string, field: 'name' | 'email', value: string): void {
  if (/[<>\n\0]/.test(value)) {
    throw new Error(`Refusing ${role} ${field} ${JSON.stringify(value)}: it holds <, >, a newline or NUL`);
  }
  if (value.length > 0 && (isCrud(value[0]) || isCrud(value[value.length - 1]))) {
    throw new Error(`Refusing ${role} ${field} ${JSON.stringify(value)}: git would strip its first or last character`);
  }
}

function checkIdentity(role: string, identity: Identity): void {
  if (identity.name.length === 0) throw new Error(`Refusing an empty ${role} name: git does not allow it`);
  checkIdentityPart(role, 'name', identity.name);
  checkIdentityPart(role, 'email', identity.email);
}

/**
 * Text git would not keep as it is: it rewrites anything its UTF-8 check rejects as
 * Latin-1. From a JS string that is a lone surrogate or a Unicode noncharacter
 * (U+FDD0..U+FDEF, and U+xxFFFE/U+xxFFFF in every plane).
 */
function reencodedByGit(text: string): boolean {
  if (/^[\0-\x7f]*$/.test(text)) return false;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) return true;
    if ((cp & 0xfffe) === 0xfffe || (cp >= 0xfdd0 && cp <= 0xfdef)) return true;
  }
  return false;
}

function checkDate(date: GitDate): void {
  const { seconds, offsetMinutes } = date;
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new Error(`Refusing commit date ${seconds}: not whole seconds >= 0`);
  if (!Number.isInteger(offsetMinutes) || Math.abs(offsetMinutes) >= 100 * 60) {
    throw new Error(`Refusing time zone offset ${offsetMinutes}: not whole minutes of at most 99:59`);
  }
}

/** Now, with the local time zone's offset for now (getTimezoneOffset is minutes *west*). */
export function currentDate(now = new Date()): GitDate {
  return { seconds: Math.floor(now.getTime() / 1000), offsetMinutes: -now.getTimezoneOffset() };
}

/** `<seconds> ±HHMM`, as git's date_string: the sign is '-' only for a negative offset. */
export function formatDate(date: GitDate): string {
  const sign = date.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(date.offsetMinutes);
  const hhmm = String(Math.floor(abs / 60)).padStart(2, '0') + String(abs % 60).padStart(2, '0');
  return `${date.seconds} ${sign}${hhmm}`;
}

/**
 * The commit's content (what `git cat-file commit` prints). Like `commit-tree -m`, a
 * message gets a final newline unless it already ends with one (so "msg" and "msg\n"
 * give the same commit, "msg\n\n" keeps both), and an empty message stays empty.
 * Duplicate parents are dropped, as commit-tree drops them ("duplicate parent ignored").
 * Throws, before anything is written, on input it cannot write exactly as git would.
 */
export function commitContent(commit: CommitObject): Buffer {
  for (const id of [commit.tree, ...commit.parents]) {
    if (!SHA1_HEX.test(id)) {
      throw new UnsupportedObjectError(`${JSON.stringify(id)} is not a SHA-1 object id (40 lowercase hex digits)`);
    }
  }
  checkIdentity('author', commit.author);
  checkIdentity('committer', commit.committer);
  if (commit.message.includes('\0')) throw new Error('Refusing a commit message with a NUL byte: git does not allow it');
  const date = commit.date ?? currentDate();
  checkDate(date);

  const when = formatDate(date);
  const lines = [`tree ${commit.tree}`];
  for (const parent of new Set(commit.parents)) lines.push(`parent ${parent}`);
  lines.push(`author ${commit.author.name} <${commit.author.email}> ${when}`);
  lines.push(`committer ${commit.committer.name} <${commit.committer.email}> ${when}`);
  const { message } = commit;
  const body = message.length === 0 || message.endsWith('\n') ? message : `${message}\n`;
  const text = `${lines.join('\n')}\n\n${body}`;
  if (reencodedByGit(text)) {
    throw new UnsupportedObjectError('git would re-encode this commit (a noncharacter or lone surrogate)');
  }
  return Buffer.from(text, 'utf8');
}

/** The loose-object bytes and id of `content` of `type`. */
export function hashObject(type: 'commit', content: Buffer): { id: string; object: Buffer } {
  const object = Buffer.concat([Buffer.from(`${type} ${content.length}\0`, 'ascii'), content]);
  return { id: createHash('sha1').update(object).digest('hex'), object };
}

/**
 * Writes the commit into `gitDir` (the common git dir, which holds `objects/`) and
 * returns its id. Idempotent: an object already there is left as it is (same id, same
 * content) and only has its modification time refreshed, as git does, so a pending
 * `gc --prune` keeps it.
 */
export async function writeCommitObject(gitDir: string, commit: CommitObject, options: WriteOptions = {}): Promise<string> {
  const { id, object } = hashObject('commit', commitContent(commit));
  // Level 1 is git's default core.loosecompression; any level gives the same object.
  await writeLooseObject(path.join(gitDir, 'objects'), id, deflateSync(object, { level: 1 }), options);
  return id;
}

async function writeLooseObject(objectsDir: string, id: string, compressed: Buffer, options: WriteOptions): Promise<void> {
  // Only the fan-out directory is created: a missing objects/ means no repository here.
  const dir = path.join(objectsDir, id.slice(0, 2));
  const final = path.join(dir, id.slice(2));
  const temp = path.join(dir, `tmp_obj_${randomBytes(6).toString('hex')}`);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx', 0o444);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const made = await mkdir(dir).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
        return false;
      },
    );
    if (made) await shareLikeObjects(objectsDir, dir);
    handle = await open(temp, 'wx', 0o444);
  }
  try {
    try {
      await handle.writeFile(compressed);
      if (options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await moveIntoPlace(temp, final);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/**
 * A group-shared repository (`core.sharedRepository=group`, as the agent sandbox sets it
 * up: spawner/sandbox.ts) has group-writable object directories, and git makes every new
 * one so (adjust_shared_perm). A fan-out directory made here follows suit, or an agent in
 * the group could no longer add objects to it.
 */
async function shareLikeObjects(objectsDir: string, dir: string): Promise<void> {
  const { mode } = await stat(objectsDir);
  if (mode & 0o020) await chmod(dir, 0o2775);
}

/**
 * link() then unlink, as git's finalize_object_file: never replaces an existing object.
 * Once the object is in place, a temp file that cannot be removed is only litter (git
 * leaves the same after a crash), not a failed write.
 */
async function moveIntoPlace(temp: string, final: string): Promise<void> {
  try {
    await link(temp, final);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      await unlink(temp).catch(() => undefined);
      const now = new Date();
      await utimes(final, now, now).catch(() => undefined);
      return;
    }
    // No hard links on this file system: a rename is atomic too (and the content is the same).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
    await rename(temp, final);
    return;
  }
  await unlink(temp).catch(() => undefined);
}
