/**
 * Hostile input against the real server (issue 17, part 8): one server process with
 * GT_AUTH on (operator and viewer tokens) and a small demo town on a near-frozen clock,
 * walked by data-driven cases over every route file under app/api and every command of
 * the catalogue. Each answer must be a 4xx `{ error: { code, message } }` (never a 5xx,
 * never a body that is not JSON), /api/health stays ok, and the town is as it was: the
 * API's view, the rows per table of the SQLite file and the rig repositories' git refs.
 * A route or command without cases in tests/support/hostile-catalogue.ts fails the suite.
 * Last, issue 17's sequence through HTTP and a real restart: a bead with a lone surrogate
 * is refused, a valid split succeeds, and after the restart the API equals the database.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '@/server/commands';
import { COMMAND_CASES, ROUTE_CASES, type RouteCase } from '../support/hostile-catalogue';
import {
  apiRoutes,
  BAD_PARAMS,
  BAD_QUERIES,
  ODD_QUERIES,
  genericBodies,
  hostileVariants,
  refusalProblem,
  sendAll,
  townState,
  type Json,
  type Sent,
  type TownState,
} from '../support/hostile-cases';
import { rawRequest, startTestServer, type TestServer } from '../support/http-server';
import { sleep } from '../support/crash-server';

const OPERATOR = 'operator-token-hostile-input';
const VIEWER = 'viewer-token-hostile-input';
const ENV = {
  GT_AUTH: 'on',
  GT_OPERATOR_TOKEN: OPERATOR,
  GT_VIEWER_TOKEN: VIEWER,
  GT_DEMO: '1',
  GT_DEMO_RIGS: '2',
  GT_DEMO_POLECATS: '2',
  // A thousandth of real time: the demo's agents hold their beads for the whole run.
  GT_TIME_SCALE: '0.001',
};
const as = (token: string) => ({ authorization: `Bearer ${token}` });
/** Another app on 127.0.0.1 set a cookie with a bad %-escape (cookies are per host, not port). */
const FOREIGN_COOKIE = { cookie: 'other_app=100%; theme=%E0%A4%A' };
/** A caller posing as a request another cluster node forwarded, without the cluster secret (server/cluster). */
const FORGED_FORWARD = {
  'x-gt-forwarded-by': 'node-b',
  'x-gt-forwarded-role': 'operator',
  'x-gt-forwarded-actor': 'mallory',
  'x-gt-forwarded-signature': 'bm90LXRoZS1zZWNyZXQ',
};
/** Forwarding headers broken in each way they can be: all refused (401) before any route runs. */
const FORGED_FORWARD_VARIANTS: Array<{ label: string; headers: Record<string, string> }> = [
  { label: 'forged forwarding signature', headers: FORGED_FORWARD },
  { label: 'forwarding header alone', headers: { 'x-gt-forwarded-by': 'node-b' } },
  { label: 'forwarded role root', headers: { ...FORGED_FORWARD, 'x-gt-forwarded-role': 'root' } },
  { label: 'forwarded actor bad %-escape', headers: { ...FORGED_FORWARD, 'x-gt-forwarded-actor': '%E0%A4%A' } },
  { label: 'empty forwarding signature', headers: { ...FORGED_FORWARD, 'x-gt-forwarded-signature': '' } },
];
/** Next compiles each route on its first request when there is no production build. */
const WALK_MS = 600_000;

let server: TestServer;
let before: TownState;
let requests = 0;
const slowest: Array<{ what: string; ms: number }> = [];

/** Waits until two snapshots a second apart agree: the demo's first dispatch has landed. */
async function quietState(): Promise<TownState> {
  let last = await townState(server, OPERATOR);
  for (let i = 0; i < 20; i++) {
    await sleep(1_000);
    const next = await townState(server, OPERATOR);
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  const now = await townState(server, OPERATOR);
  throw new Error(`the demo town never settled: ${diffOf(last, now).join('; ')}`);
}

/** Where two snapshots differ (dotted paths), for a readable failure. */
function diffOf(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object')
    return [`${at}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`.slice(0, 300)];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => diffOf((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`));
}

type Request = { what: string; method: string; target: string; headers?: Record<string, string>; body?: string };

async function expectRefused(list: Request[], allow: (r: Request) => readonly number[] = () => []): Promise<Sent[]> {
  const sent = await sendAll(server, list);
  requests += sent.length;
  const problems = sent
    .map((s, i) => {
      const problem = refusalProblem(s.res, allow(list[i]));
      return problem && `${list[i].method} ${list[i].target.slice(0, 120)} [${s.what}] ${problem}`;
    })
    .filter(Boolean);
  slowest.push(...sent.map((s) => ({ what: s.what, ms: s.ms })));
  expect(problems).toEqual([]);
  return sent;
}

async function expectHealthy(): Promise<void> {
  const health = await rawRequest(server, '/api/health');
  expect(health.json).toMatchObject({ ok: true, failedWrites: 0, stopped: null });
}

function expectUnchanged(after: TownState): void {
  expect(after.rows).toEqual(before.rows);
  expect(after.refs).toEqual(before.refs);
  for (const key of Object.keys(before.api)) expect(after.api[key], key).toEqual(before.api[key]);
}

const fill = (c: RouteCase, override: Record<string, string> = {}) =>
  c.path.replace(/\{(\w+)\}/g, (_, name: string) => override[name] ?? encodeURIComponent(c.params![name]));

function withoutKey(base: Json, key: string | undefined): Json {
  if (!key || !base || typeof base !== 'object' || Array.isArray(base)) return base;
  const { [key]: _dropped, ...rest } = base;
  return rest;
}

beforeAll(async () => {
  server = await startTestServer({ env: ENV });
  // Without a production build Next compiles each route on its first request: ask for
  // them all at once (it compiles them together) instead of one after another mid-walk.
  // Writes go as the operator with a body no schema takes and ids naming nothing (the
  // gate refuses a viewer's before Next); a route that reads neither is left for the walk.
  const readsBody = new Map(apiRoutes().map((r) => [r.route, r.readsBody]));
  await Promise.all(
    Object.entries(ROUTE_CASES).map(([key, c]) => {
      const [route, method] = key.split(' ');
      if (method === 'GET') return rawRequest(server, c.params ? fill(c) : c.path, { headers: as(VIEWER) });
      if (!c.params && !readsBody.get(route)) return null;
      const unknown = Object.fromEntries(Object.keys(c.params ?? {}).map((k) => [k, 'zz-unknown-9']));
      return rawRequest(server, fill(c, unknown), {
        method,
        headers: { ...as(OPERATOR), 'content-type': 'application/json' },
        body: '[]',
      });
    }),
  );
  before = await quietState();
}, 300_000);

afterAll(async () => {
  console.log(`[hostile-input] ${requests} hostile requests`);
  slowest.sort((a, b) => b.ms - a.ms);
  const top = slowest.slice(0, 5).map((s) => `  ${s.ms.toFixed(0)} ms ${s.what.slice(0, 80)}`);
  console.log(`[hostile-input] slowest:\n${top.join('\n')}`);
  await server?.stop();
});

describe('the hostile-input tables', () => {
  it('has cases for every route file and method under app/api, and no stale ones', () => {
    const found = apiRoutes().flatMap((r) => r.methods.map((m) => `${r.route} ${m}`));
    expect(found.length).toBeGreaterThan(40);
    expect(
      found.filter((k) => !(k in ROUTE_CASES)),
      'routes without cases',
    ).toEqual([]);
    expect(
      Object.keys(ROUTE_CASES).filter((k) => !found.includes(k)),
      'cases for no route',
    ).toEqual([]);
  });

  it('has a valid input for every command the server lists, and no stale ones', async () => {
    const listed = ((await rawRequest(server, '/api/commands', { headers: as(VIEWER) })).json as Array<{ name: string }>).map(
      (c) => c.name,
    );
    expect(listed.length).toBeGreaterThan(30);
    expect(
      listed.filter((n) => !(n in COMMAND_CASES)),
      'commands without cases',
    ).toEqual([]);
    expect(
      Object.keys(COMMAND_CASES).filter((n) => !listed.includes(n)),
      'cases for no command',
    ).toEqual([]);
    // Each base is valid, so each hostile variant is refused for the one place it changed.
    for (const command of COMMANDS) {
      const parsed = command.input.safeParse(COMMAND_CASES[command.name].base);
      expect(parsed.error?.issues, command.name).toBeUndefined();
    }
  });
});

describe('hostile input against every command and route', () => {
  it('refuses every hostile variant of every command with a 4xx and changes nothing', { timeout: WALK_MS }, async () => {
    const list: Request[] = [];
    for (const [name, c] of Object.entries(COMMAND_CASES)) {
      const target = `/api/commands/${name}`;
      const base = JSON.stringify(c.base);
      for (const v of hostileVariants(c.base, c.numbers, c.skip)) {
        list.push({ what: `${name} ${v.label}`, method: 'POST', target, headers: as(OPERATOR), body: v.body });
      }
      if (c.asIsRefused) list.push({ what: `${name} names nothing`, method: 'POST', target, headers: as(OPERATOR), body: base });
      list.push({ what: `${name} as a viewer`, method: 'POST', target, headers: as(VIEWER), body: base });
      list.push({ what: `${name} without a token`, method: 'POST', target, body: base });
      list.push({ what: `${name} with a foreign cookie only`, method: 'POST', target, headers: FOREIGN_COOKIE, body: base });
      // An operator's token does not make forged forwarding headers good: the request is nobody's.
      list.push({
        what: `${name} with forged forwarding headers`,
        method: 'POST',
        target,
        headers: { ...as(OPERATOR), ...FORGED_FORWARD },
        body: base,
      });
    }
    for (const v of FORGED_FORWARD_VARIANTS) {
      const target = '/api/commands/bead.create';
      const body = JSON.stringify(COMMAND_CASES['bead.create'].base);
      list.push({ what: `bead.create ${v.label}`, method: 'POST', target, headers: { ...as(OPERATOR), ...v.headers }, body });
    }
    const sent = await expectRefused(list);
    const status = (what: string) => sent.find((s) => s.what === what)!.res.status;
    expect(status('bead.create as a viewer')).toBe(403);
    expect(status('bead.create without a token')).toBe(401);
    expect(status('bead.create with a foreign cookie only')).toBe(401);
    expect(status('bead.create title: lone surrogate')).toBe(400);
    for (const v of FORGED_FORWARD_VARIANTS) expect(status(`bead.create ${v.label}`), v.label).toBe(401);
    await expectHealthy();
    expectUnchanged(await townState(server, OPERATOR));
  });

  it(
    'refuses bad path parameters, queries, bodies and callers on every route and changes nothing',
    { timeout: WALK_MS },
    async () => {
      const readsBody = new Map(apiRoutes().map((r) => [r.route, r.readsBody]));
      const list: Request[] = [];
      const allowed = new Map<Request, readonly number[]>();
      for (const [key, c] of Object.entries(ROUTE_CASES)) {
        const [route, method] = key.split(' ');
        const write = method !== 'GET';
        const target = fill(c);
        const command = c.command ? COMMAND_CASES[c.command] : undefined;
        const body = !write ? undefined : JSON.stringify(command ? withoutKey(command.base, c.fromPath) : {});
        const push = (what: string, r: Omit<Request, 'what' | 'method'>, allow: readonly number[] = []) => {
          const req = { what: `${key} ${what}`, method, ...r };
          list.push(req);
          allowed.set(req, allow);
        };
        for (const name of Object.keys(c.params ?? {})) {
          for (const bad of BAD_PARAMS)
            push(`${name}: ${bad.label}`, { target: fill(c, { [name]: bad.value }), headers: as(OPERATOR), body });
        }
        if (!write) {
          for (const q of BAD_QUERIES) {
            // A route that takes no query ignores one; a strict one refuses every bad one.
            push(`?${q.slice(0, 40)}`, { target: `${target}?${q}`, headers: as(VIEWER) }, c.strictQuery ? [] : [200]);
          }
          for (const q of ODD_QUERIES) push(`?${q.slice(0, 40)}`, { target: `${target}?${q}`, headers: as(VIEWER) }, [200]);
          // The parameters this route reads, given wrong: refused whatever the route does with others.
          for (const q of c.badQueries ?? []) push(`?${q.slice(0, 40)}`, { target: `${target}?${q}`, headers: as(VIEWER) });
          if (!c.public) {
            push('without a token', { target });
            push('with a foreign cookie only', { target, headers: FOREIGN_COOKIE });
            push('with forged forwarding headers', { target, headers: { ...as(VIEWER), ...FORGED_FORWARD } });
          }
          continue;
        }
        if (readsBody.get(route) && command) {
          for (const v of hostileVariants(withoutKey(command.base, c.fromPath), command.numbers, command.skip)) {
            push(v.label, { target, headers: as(OPERATOR), body: v.body });
          }
        }
        if (c.genericBody) for (const v of genericBodies()) push(v.label, { target, headers: as(OPERATOR), body: v.body });
        push('as a viewer', { target, headers: as(VIEWER), body }, c.genericBody ? [400, 404] : []);
        push('without a token', { target, body });
        push('with a foreign cookie only', { target, headers: FOREIGN_COOKIE, body });
        push('with forged forwarding headers', { target, headers: { ...as(OPERATOR), ...FORGED_FORWARD }, body });
      }
      await expectRefused(list, (r) => allowed.get(r) ?? []);
      await expectHealthy();
      expectUnchanged(await townState(server, OPERATOR));
    },
  );
});

describe('issue 17: a surrogate bead, then a split, then a restart', () => {
  it('refuses the bead with a 400, splits, and after a restart the API equals the database', { timeout: 240_000 }, async () => {
    const bead = await rawRequest(server, '/api/beads', {
      method: 'POST',
      headers: { ...as(OPERATOR), 'content-type': 'application/json' },
      body: JSON.stringify({ rig: 'myproject', title: 'Broken \ud800 title' }),
    });
    expect(bead.status).toBe(400);
    expect(bead.json).toMatchObject({ error: { code: 'invalid', message: expect.stringMatching(/title/) } });
    await expectHealthy();

    const split = await rawRequest(server, '/api/rigs/myproject/split', {
      method: 'POST',
      headers: { ...as(OPERATOR), 'content-type': 'application/json' },
      body: JSON.stringify({ partitions: [{ name: 'myproject-core', globs: ['core/**'] }], remainder: 'myproject-rest' }),
    });
    expect(split.status, split.text).toBe(200);
    await expectHealthy();

    const { rigs, beads } = await layout(server);
    expect(rigs.find((r) => r.name === 'myproject')?.status).not.toBe('active');
    expect(rigs.filter((r) => r.name.startsWith('myproject-')).map((r) => r.status)).toEqual(['active', 'active']);
    expect(beads.some((b) => b.title.includes('\ud800'))).toBe(false);

    await server.stop({ keepData: true });
    const stored = storedLayout(server.dataDir);
    expect(stored.rigs).toEqual(rigs);
    expect(stored.beads).toEqual(beads);

    server = await startTestServer({ env: ENV, dataDir: server.dataDir });
    const reloaded = await layout(server);
    expect(reloaded.rigs).toEqual(stored.rigs);
    expect(reloaded.beads.map(({ id, rig }) => ({ id, rig }))).toEqual(stored.beads.map(({ id, rig }) => ({ id, rig })));
    await expectHealthy();
  });
});

interface Layout {
  rigs: Array<{ name: string; status: string }>;
  beads: Array<{ id: string; rig: string; title: string; status: string }>;
}

const byKey = <T extends { name?: string; id?: string }>(list: T[]) =>
  list.sort((a, b) => String(a.name ?? a.id).localeCompare(String(b.name ?? b.id)));

/** Rigs with their status and every bead with its rig and status, as the API shows them. */
async function layout(s: TestServer): Promise<Layout> {
  const get = async (target: string) => (await rawRequest(s, target, { headers: as(OPERATOR) })).json;
  const town = (await get('/api/town')) as { rigs: Array<{ name: string; status: string }> };
  const beads = (await get('/api/beads?limit=1000')) as Layout['beads'];
  return {
    rigs: byKey(town.rigs.map(({ name, status }) => ({ name, status }))),
    beads: byKey(beads.map(({ id, rig, title, status }) => ({ id, rig, title, status }))),
  };
}

/** The same from the SQLite file of a stopped server. */
function storedLayout(dataDir: string): Layout {
  const db = new Database(path.join(dataDir, 'gastown.db'), { readonly: true });
  try {
    return {
      rigs: byKey(db.prepare('SELECT name, status FROM Rig').all() as Layout['rigs']),
      beads: byKey(db.prepare('SELECT id, rig, title, status FROM Bead').all() as Layout['beads']),
    };
  } finally {
    db.close();
  }
}
