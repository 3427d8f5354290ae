/**
 * The overview's charts on a live demo town split into partitions (issue 21), in both
 * themes: the throughput chart says "n too small" while the Refinery window is short
 * instead of drawing empty axes, the retired rig keeps a dashed line labelled retired (it
 * ends at the split), and the partitions get their own lines.
 */
import { expect, test, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';
const PARTITIONS = ['core', 'ui', 'tests'].map((a) => ({ name: `${RIG}-${a}`, globs: [`${a}/**`] }));

test.describe('charts across a split', () => {
  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '5' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('says n too small for throughput, then keeps the retired rig and draws the partitions', async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto(server.url + '/');
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    // Minutes of engine time are not an hour: the chart says so rather than drawing nothing.
    await expect(page.getByTestId('throughput-chart')).toContainText('n too small', { timeout: 30_000 });

    // Split with work queued, as an operator would: the retired rig's line must end, not go on at its depth.
    const queueDepth = async () =>
      (
        (await (await fetch(`${server.url}/api/rigs/${RIG}`, { headers: server.authHeaders() })).json()) as {
          rig: { queueDepth: number };
        }
      ).rig.queueDepth;
    await expect.poll(queueDepth, { timeout: 60_000, intervals: [1_000] }).toBeGreaterThanOrEqual(3);
    const res = await fetch(`${server.url}/api/rigs/${RIG}/split`, {
      method: 'POST',
      headers: { ...server.authHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ partitions: PARTITIONS }),
    });
    expect(res.status).toBe(200);

    const chart = page.getByTestId('queue-depth-chart');
    await expect(chart).toContainText(`${RIG} (retired)`, { timeout: 30_000 });
    for (const p of PARTITIONS) await expect(chart).toContainText(p.name, { timeout: 30_000 });
    // The charts go on loading while the split town moves (they froze at what they showed first).
    const points = async () => Number(await chart.getAttribute('data-points'));
    const before = await points();
    await expect
      .poll(points, { timeout: 30_000, message: 'the queue chart gains points after the split' })
      .toBeGreaterThan(before + 3);
    await expect(page.getByTestId('conflict-rate-chart')).not.toContainText('No merge attempts', { timeout: 30_000 });
    await screenshot(page, 'overview-split-charts');

    await page.evaluate(() => localStorage.setItem('gt-theme', 'light'));
    await page.reload();
    await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
    await expect(page.getByTestId('queue-depth-chart')).toContainText(`${RIG} (retired)`, { timeout: 30_000 });
    await page.waitForTimeout(1_000);
    await screenshot(page, 'overview-split-charts-light');
  });
});
