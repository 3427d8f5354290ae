/**
 * Lab runs cost the server seconds of CPU: an operator may start them, a viewer may not
 * (issue 21). Against a real server with both tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/http-server';

const OPERATOR = 'operator-token-lab-access';
const VIEWER = 'viewer-token-lab-access';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { GT_OPERATOR_TOKEN: OPERATOR, GT_VIEWER_TOKEN: VIEWER } });
}, 120_000);
afterAll(async () => server?.stop());

const post = (route: string, token: string, body: unknown) =>
  fetch(server.url + route, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('the lab', () => {
  it.each([
    ['/api/lab/run', {}],
    ['/api/lab/preview', { rig: 'myproject', change: { kind: 'scale', workers: 3 } }],
  ])('refuses %s to a viewer with 403 and a reason', async (route, body) => {
    const res = await post(route, VIEWER, body);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: { code: 'forbidden', message: expect.stringMatching(/viewers can see, operators act/) },
    });
  });

  it('refuses a scenario run to a viewer, and runs it for an operator', async () => {
    const { scenarios } = (await (
      await fetch(`${server.url}/api/lab/scenarios`, { headers: { authorization: `Bearer ${VIEWER}` } })
    ).json()) as { scenarios: Array<{ id: string }> };
    const id = scenarios[0].id;
    expect((await post(`/api/lab/scenarios/${id}`, VIEWER, { seed: 1 })).status).toBe(403);
    const run = await post(`/api/lab/scenarios/${id}`, OPERATOR, { seed: 1 });
    expect(run.status).toBe(200);
  }, 120_000);
});
