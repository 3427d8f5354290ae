/**
 * The hostile-input suite's machinery (tests/integration/hostile-input.test.ts): hostile
 * variants derived from one valid input (every string, number, boolean, array and object
 * in it replaced in turn), the route files under app/api with the methods they export,
 * and a snapshot of everything a bad request must not change: what the API shows, the
 * rows per table of the server's SQLite file, and the git refs of every rig repository.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { ROOT } from './crash-server';
import { rawRequest, type RawResponse, type TestServer } from './http-server';

const run = promisify(execFile);

/** One hostile body: what it is (for the failure message) and its JSON text. */
export interface Variant {
  label: string;
  body: string;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Longer than any field's bound in contracts/text.ts (descriptions allow 20,000). */
const OVERLONG = 'x'.repeat(30_000);
const HUGE_ARRAY = 1_000;
/** Fields that name something in the town: a well-formed name for nothing must be a 4xx too. */
const ID_KEYS = new Set(['rig', 'polecat', 'id', 'bead', 'alertId']);

function replaceAt(value: Json, at: Array<string | number>, next: Json): Json {
  if (at.length === 0) return next;
  const [head, ...rest] = at;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaceAt(v, rest, next) : v));
  const obj = value as { [key: string]: Json };
  return { ...obj, [head]: replaceAt(obj[head], rest, next) };
}

function* leaves(value: Json, at: Array<string | number> = []): Generator<[Array<string | number>, Json]> {
  yield [at, value];
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* leaves(value[i], [...at, i]);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* leaves(v, [...at, k]);
}

/**
 * Every hostile variant of a valid input `base`, each changing one place: a lone
 * surrogate, a NUL, an over-long text or another type in each string; a negative, huge,
 * fractional or textual number; a textual boolean; an object where an array goes and a
 * thousand copies of its item; an extra field and an array where each object goes; plus
 * `NaN` (not JSON), a nesting too deep, an empty object and a bare array for the body.
 * `numbers` names the dotted paths whose numbers take any finite value (`any`: a rule's
 * threshold) or fractions (`fractional`: amounts in USD); `skip` names variants that are
 * valid for this input (`polecats: empty`, `id: unknown` for a new rule's id). Ids (`rig`, `polecat`, `id`...)
 * also get a well-formed one that names nothing.
 */
export function hostileVariants(
  base: Json,
  numbers: Record<string, 'any' | 'fractional'> = {},
  skip: readonly string[] = [],
): Variant[] {
  const out: Variant[] = [];
  const add = (label: string, value: Json) => out.push({ label, body: JSON.stringify(value) });
  for (const [at, value] of leaves(base)) {
    const where = at.join('.') || '(body)';
    const put = (label: string, next: Json) => add(`${where}: ${label}`, replaceAt(base, at, next));
    if (typeof value === 'string') {
      put('lone surrogate', `${value}\ud800`);
      put('NUL', `${value}\u0000x`);
      put('over-long', OVERLONG);
      put('a number', 42);
      put('an object', { value });
      if (ID_KEYS.has(String(at.at(-1)))) put('unknown', 'zz-unknown-9');
    } else if (typeof value === 'number') {
      put('a string', String(value));
      put('an array', [value]);
      if (numbers[where] !== 'any') {
        put('negative', -1);
        put('huge', 1e300);
        if (numbers[where] !== 'fractional') put('fractional', 0.5);
      }
    } else if (typeof value === 'boolean') {
      put('a string', String(value));
      put('a number', 1);
    } else if (Array.isArray(value)) {
      put('an object', { 0: value[0] ?? null });
      put('a string', 'x');
      if (value.length > 0)
        put(
          `${HUGE_ARRAY} items`,
          Array.from({ length: HUGE_ARRAY }, () => value[0]),
        );
    } else if (value && typeof value === 'object') {
      put('an extra field', { ...value, zzExtra: 'x' });
      put('an array', [value]);
      if (Object.keys(value).length > 0) put('empty', {});
    }
  }
  const number = [...leaves(base)].find(([, v]) => typeof v === 'number')?.[0];
  const withNaN = number ? JSON.stringify(replaceAt(base, number, '\u0000NaN')).replace('"\\u0000NaN"', 'NaN') : '{"zz":NaN}';
  out.push({ label: '(body): NaN is not JSON', body: withNaN });
  out.push({ label: '(body): nested 500 deep', body: `{"zz":${'['.repeat(500)}${']'.repeat(500)}}` });
  out.push({ label: '(body): truncated JSON', body: JSON.stringify(base).slice(0, -1) });
  out.push({ label: '(body): a bare array', body: '[]' });
  out.push({ label: '(body): a bare string', body: '"\\ud800"' });
  return out.filter((v) => !skip.includes(v.label));
}

/** Generic hostile bodies for a route that takes a body but has no command behind it. */
export function genericBodies(): Variant[] {
  return [
    { label: 'a bare array', body: '[]' },
    { label: 'a bare string', body: '"x"' },
    { label: 'not JSON', body: '{nope' },
    { label: 'NaN', body: '{"seed":NaN}' },
    { label: 'nested 500 deep', body: `{"zz":${'['.repeat(500)}${']'.repeat(500)}}` },
    { label: 'an unknown field with a lone surrogate', body: '{"zz\\ud800":"\\ud800"}' },
    { label: 'a NUL field', body: '{"zz":"a\\u0000b"}' },
  ];
}

/** Path parameter values no route may choke on. */
export const BAD_PARAMS: ReadonlyArray<{ label: string; value: string }> = [
  { label: 'a bad %-escape', value: '%ff' },
  { label: 'an encoded lone surrogate', value: '%ED%A0%80' },
  { label: 'an encoded NUL', value: 'a%00b' },
  { label: 'an encoded ..', value: '%2e%2e' },
  { label: 'an encoded slash climb', value: '..%2f..%2fetc' },
  { label: 'very long', value: 'x'.repeat(4_000) },
  { label: 'an unknown id', value: 'zz-unknown-9' },
  { label: 'a raw ..', value: '..' },
  { label: 'a raw .', value: '.' },
];

/** Query strings no list may choke on, each a 400 where the query is parsed: bounds, unknown values, thousands of comma values. */
export const BAD_QUERIES: readonly string[] = [
  'zzUnknown=1',
  'limit=-1',
  'limit=1e9',
  'limit=NaN',
  'limit=0.5',
  'status=bogus',
  `status=${Array.from({ length: 5_000 }, () => 'x').join(',')}`,
  `type=${Array.from({ length: 5_000 }, () => 'x').join(',')}`,
  'rig=a%00b',
  `rig=${'x'.repeat(5_000)}`,
  'since=-5h',
  'from=NaN&to=-1',
  'maxPoints=100000000',
  'by=nope&range=nope',
  'active=maybe',
];

/**
 * Odd but harmless queries, a 200 or a 4xx: a filter naming nothing (`%ff` is the text
 * `%ff`; bytes that are not UTF-8 decode to U+FFFD), a window longer than history, a
 * repeated parameter.
 */
export const ODD_QUERIES: readonly string[] = ['rig=%ff', 'rig=%ED%A0%80', 'since=99999999999999999999d', 'limit=1&limit=2'];

/** `app/api/**\/route.ts` as `alerts/[id]/ack` with the HTTP methods each exports and whether it reads a body. */
export function apiRoutes(): Array<{ route: string; methods: string[]; readsBody: boolean }> {
  const base = path.join(ROOT, 'app', 'api');
  const out: Array<{ route: string; methods: string[]; readsBody: boolean }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === 'route.ts') {
        const source = readFileSync(full, 'utf8');
        const methods = [...source.matchAll(/export (?:const|async function|function) (GET|POST|PUT|PATCH|DELETE)\b/g)].map(
          (m) => m[1],
        );
        out.push({ route: path.relative(base, dir).split(path.sep).join('/'), methods, readsBody: source.includes('readJson(') });
      }
    }
  };
  walk(base);
  return out.sort((a, b) => a.route.localeCompare(b.route));
}

// ------------------------------------------------------------------ requests

export interface Sent {
  what: string;
  res: RawResponse;
  ms: number;
}

/** Sends requests `concurrency` at a time (one server, 2 cores: enough to keep it busy). */
export async function sendAll(
  server: TestServer,
  requests: Array<{ what: string; method: string; target: string; headers?: Record<string, string>; body?: string }>,
  concurrency = 8,
): Promise<Sent[]> {
  const out: Sent[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      const r = requests[i];
      const headers = r.body === undefined ? r.headers : { 'content-type': 'application/json', ...r.headers };
      const t0 = performance.now();
      const res = await rawRequest(server, r.target, { method: r.method, headers, body: r.body });
      out[i] = { what: r.what, res, ms: performance.now() - t0 };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** What is wrong with an answer that should be a refusal: a 5xx, a 2xx/3xx, or a body that is not `{error:{code,message}}`. */
export function refusalProblem(res: RawResponse, allow: readonly number[] = []): string | null {
  if (allow.includes(res.status)) return null;
  if (res.status < 400 || res.status >= 500) return `answered ${res.status}: ${res.text.slice(0, 200)}`;
  const error = (res.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
    return `answered ${res.status} without {error:{code,message}}: ${res.text.slice(0, 200)}`;
  }
  return null;
}

// ------------------------------------------------------------------ state

/** Keys whose values move with the wall clock (or the disk) while nothing changes. */
const VOLATILE = new Set([
  'now',
  'diskBytes',
  'lastHeartbeatAt',
  'lastProgressAt',
  'lastPatrolAt',
  'uptimeMs',
  'timeShare',
  // How long the Refinery's rate window has been observed: grows until it is the window.
  'observedMs',
  'observed_ms',
]);

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !VOLATILE.has(k))
        .map(([k, v]) => [k, stable(v)]),
    );
  }
  return value;
}

/**
 * Tables that grow with every request by design: refusals are audited, events and metric
 * samples are the town's history. Every other table's row count must not move.
 */
const LOG_TABLES = new Set(['Audit', 'Event', 'MetricPoint', '_prisma_migrations']);

export interface TownState {
  api: Record<string, unknown>;
  rows: Record<string, number>;
  refs: Record<string, string>;
}

/** Everything a refused request must leave as it was. */
export async function townState(server: TestServer, bearer: string): Promise<TownState> {
  const get = async (target: string) => {
    const res = await rawRequest(server, target, { headers: { authorization: `Bearer ${bearer}` } });
    if (res.status !== 200) throw new Error(`GET ${target} answered ${res.status}: ${res.text.slice(0, 300)}`);
    return stable(res.json);
  };
  const town = (await get('/api/town')) as { rigs: Array<{ name: string }> };
  const api: Record<string, unknown> = { town };
  for (const target of ['/api/beads?limit=1000', '/api/convoys', '/api/mq', '/api/alerts/rules', '/api/silences', '/api/gates']) {
    api[target] = await get(target);
  }
  for (const rig of town.rigs) api[`/api/rigs/${rig.name}`] = await get(`/api/rigs/${encodeURIComponent(rig.name)}`);
  return { api, rows: tableRows(server.dataDir), refs: await gitRefs(server.dataDir) };
}

/** Rows per table of the server's database (read-only; the server keeps writing its WAL). */
export function tableRows(dataDir: string): Record<string, number> {
  const db = new Database(path.join(dataDir, 'gastown.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{
      name: string;
    }>;
    const rows: Record<string, number> = {};
    for (const { name } of tables) {
      if (LOG_TABLES.has(name)) continue;
      rows[name] = (db.prepare(`SELECT count(*) AS n FROM "${name.replaceAll('"', '""')}"`).get() as { n: number }).n;
    }
    return rows;
  } finally {
    db.close();
  }
}

/** `git for-each-ref` of every rig repository under the data directory, through an argument array. */
export async function gitRefs(dataDir: string): Promise<Record<string, string>> {
  const rigs = path.join(dataDir, 'rigs');
  const out: Record<string, string> = {};
  for (const name of readdirSync(rigs).sort()) {
    const { stdout } = await run('git', ['-C', path.join(rigs, name), 'for-each-ref', '--format=%(refname) %(objectname)']);
    out[name] = stdout;
  }
  return out;
}
