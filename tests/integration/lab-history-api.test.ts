/**
 * The history lab through the server: `POST /api/lab/history` replays a real rig (a
 * clone of a generated history) in a worker while the server keeps answering, `GET`
 * shows its progress and then its report, calibration can fit to it, and bad input or a
 * viewer is refused with nothing replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryProgress, HistoryReport } from '../../contracts/lab-history';
import type { Calibration } from '../../contracts/lab';
import { generateHistory, type GeneratedHistory } from '../support/history-repo';
import { rawRequest, startTestServer, type TestServer } from '../support/http-server';

const OPERATOR = 'operator-token-history';
const VIEWER = 'viewer-token-history';
const as = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

let server: TestServer;
let origin: GeneratedHistory;

const post = (path: string, body: unknown, token = OPERATOR) =>
  rawRequest(server, path, { method: 'POST', headers: as(token), body: JSON.stringify(body) });
const get = (path: string, token = VIEWER) => rawRequest(server, path, { headers: as(token) });

beforeAll(async () => {
  origin = generateHistory('mixed', 600, 11);
  server = await startTestServer({ env: { GT_AUTH: 'on', GT_OPERATOR_TOKEN: OPERATOR, GT_VIEWER_TOKEN: VIEWER } });
  const added = await post('/api/commands/rig.add', { name: 'hist', url: `file://${origin.repo}`, branch: 'main', polecats: 1 });
  expect(added.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  origin?.remove();
});

describe('POST /api/lab/history', () => {
  it('refuses bad input and a viewer, and replays nothing', async () => {
    for (const body of [
      { rig: 'hist', maxN: 51 },
      { rig: 'hist', windows: 0 },
      { rig: 'hist', seed: -1 },
      { rig: 'hist', zz: 1 },
      { rig: '' },
      {},
    ]) {
      const r = await post('/api/lab/history', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.json as { error: { code: string } }).error.code).toBe('invalid');
    }
    const unknown = await post('/api/lab/history', { rig: 'zz-nope' });
    expect(unknown.status).toBe(404);
    const viewer = await post('/api/lab/history', { rig: 'hist' }, VIEWER);
    expect(viewer.status).toBe(403);
    const state = (await get('/api/lab/history?rig=hist')).json as { progress: HistoryProgress; report: HistoryReport | null };
    expect(state).toEqual({ progress: { state: 'idle' }, report: null });
  });

  it('replays the rig in a worker while the server answers, then keeps the report for calibration', async () => {
    const running = post('/api/lab/history', { rig: 'hist', maxN: 30, windows: 30, seed: 2 });
    const seen: HistoryProgress[] = [];
    let answer: Awaited<typeof running> | null = null;
    void running.then((r) => (answer = r));
    while (!answer) {
      const r = await get('/api/lab/history?rig=hist');
      seen.push((r.json as { progress: HistoryProgress }).progress);
    }
    const done = answer as Awaited<typeof running>;
    expect(done.status).toBe(200);
    const report = done.json as HistoryReport;
    expect(report).toMatchObject({ rig: 'hist', maxN: 30, windowsSampled: 30, windowsSkipped: 0 });
    expect(report.changes).toBe(600);
    expect(report.curve[29].windows).toBe(30);
    // The server answered during the replay, and saw it running part way.
    expect(seen.some((p) => p.state === 'running' && p.windowsDone > 0 && p.windowsDone < 30)).toBe(true);

    const kept = (await get('/api/lab/history?rig=hist')).json as { report: HistoryReport };
    expect(kept.report.curve).toEqual(report.curve);
    const c = (await get('/api/lab/calibrate?rig=hist&from=history')).json as Calibration;
    expect(c.fittedTo).toBe('history');
    expect(c.notes.join(' ')).toMatch(/replayed history/);
    expect((await get('/api/lab/calibrate?rig=hist&from=zz')).status).toBe(400);
  }, 180_000);
});
