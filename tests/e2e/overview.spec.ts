/**
 * The town overview against a real server and a live demo town (real git merges), and the
 * bead API refusing bad input without side effects.
 */
import { expect, test, type Locator, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

async function count(locator: Locator): Promise<number> {
  const text = (await locator.textContent()) ?? '';
  const n = Number(text.trim());
  if (!Number.isFinite(n) || text.trim() === '') throw new Error(`not a number: "${text}"`);
  return n;
}

test.describe('live demo town', () => {
  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '3' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('shows merges landing and the queue chart moving on a live demo town', async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto(server.url + '/');

    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    const chart = page.getByTestId('queue-depth-chart');
    await expect(chart).toBeVisible();

    const pointsAt = async () => Number(await chart.getAttribute('data-points'));
    const firstPoints = await pointsAt();
    await expect.poll(pointsAt, { timeout: 60_000, message: 'the queue chart gains points' }).toBeGreaterThan(firstPoints);

    const merged = page.getByTestId('total-merged');
    const firstMerged = await count(merged);
    await expect
      .poll(() => count(merged), { timeout: 60_000, message: 'merges land without a reload' })
      .toBeGreaterThan(firstMerged);

    await expect
      .poll(() => count(page.getByTestId('total-reworked')), {
        timeout: 90_000,
        message: 'a conflicted merge request is reworked and lands',
      })
      .toBeGreaterThanOrEqual(1);

    // Still the same page, still live: everything above arrived over the socket.
    await expect(page.getByTestId('connection')).toHaveText('live');
    expect(await pointsAt()).toBeGreaterThan(firstPoints);

    await screenshot(page, 'overview');
  });
});

test.describe('bead API', () => {
  let server: RunningServer;
  // A nearly frozen clock: no bead finishes, so the demo feeder adds none during the test
  // and the bead count can only change through our requests.
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '0.01' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('refuses a bad bead with a clear 400 and changes nothing', async ({ request }) => {
    const beadCount = async () => {
      const res = await request.get(`${server.url}/api/beads?limit=1000`);
      expect(res.status()).toBe(200);
      const body = await res.json();
      expect(Array.isArray(body)).toBe(true);
      return (body as unknown[]).length;
    };
    // The demo seed is written at start; wait until the count has settled.
    let before = await beadCount();
    await expect
      .poll(
        async () => {
          const now = await beadCount();
          const settled = now === before && now > 0;
          before = now;
          return settled;
        },
        { timeout: 15_000, intervals: [500] },
      )
      .toBe(true);

    const bad = await request.post(`${server.url}/api/beads`, { data: { rig: 'myproject', title: '' } });
    expect(bad.status()).toBe(400);
    const badBody = await bad.json();
    expect(badBody.error.code).toBe('invalid');
    expect(typeof badBody.error.message).toBe('string');
    expect(badBody.error.message.length).toBeGreaterThan(0);

    const unknownRig = await request.post(`${server.url}/api/beads`, { data: { rig: 'no-such-rig', title: 'Fix the thing' } });
    expect(unknownRig.status()).toBe(404);
    expect((await unknownRig.json()).error.code).toBe('not_found');

    expect(await beadCount()).toBe(before);
  });
});
