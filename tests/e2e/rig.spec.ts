/**
 * A rig's page against a real server and the live demo town: the merge queue fills behind
 * one Refinery worker, the operator scales it to 3 from the page and sees other workers
 * take requests; bad worker counts are refused with the server's message and change
 * nothing, on the page and on the API; a lost connection is said out loud.
 */
import { expect, test, type Page, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';

async function queueDepth(page: Page): Promise<number> {
  const text = ((await page.getByTestId('tile-queue').textContent()) ?? '').trim();
  return text === '' ? 0 : Number(text);
}

test.describe('rig page', () => {
  test.describe.configure({ mode: 'serial' });

  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '5' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('shows the merge queue live and scales the Refinery workers', async ({ page }) => {
    test.setTimeout(360_000);
    await page.goto(server.url + '/');
    await page.getByTestId(`rig-link-${RIG}`).click();
    await expect(page).toHaveURL(new RegExp(`/rigs/${RIG}$`));
    await expect(page.getByTestId('rig-name')).toHaveText(RIG);
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await expect(page.getByTestId('tile-workers')).toHaveText(/\/1$/, { timeout: 30_000 });

    // 8 polecats and a 2.5 s check behind one worker: a queue builds.
    const rows = page.getByTestId('queue-row');
    await expect
      .poll(async () => Math.max(await rows.count(), await queueDepth(page)), {
        timeout: 180_000,
        intervals: [1_000],
        message: 'the merge queue fills behind one Refinery worker',
      })
      .toBeGreaterThanOrEqual(3);
    await expect(page.locator('[data-testid=queue-row][data-stage=validating][data-worker="0"]').first()).toBeVisible({
      timeout: 60_000,
    });
    // One worker: nobody else holds a request.
    await expect(page.locator('[data-testid=queue-row][data-worker]:not([data-worker=""]):not([data-worker="0"])')).toHaveCount(
      0,
    );

    const input = page.getByLabel('Refinery workers (1–16)');
    await input.fill('3');
    await page.getByRole('button', { name: 'Apply' }).click();
    // Scaling up asks first (it costs machine time), saying by how much.
    await expect(page.getByTestId('confirm-summary')).toContainText('Adds 2 Refinery workers (1 → 3)');
    await page.getByTestId('confirm-ok').click();
    await expect(page.getByTestId('scale-result')).toHaveText('Refinery scaled to 3 workers');
    await expect(page.getByTestId('tile-workers')).toHaveText(/\/3$/);
    await expect(
      page.locator('[data-testid=queue-row][data-stage=validating]:not([data-worker="0"])').first(),
      'worker 1 or 2 validates a request',
    ).toBeVisible({ timeout: 30_000 });
    await screenshot(page, 'rig');

    // Bad input, from the keyboard: the server's message, and nothing changes.
    await input.fill('0');
    await input.press('Tab');
    await expect(page.getByRole('button', { name: 'Apply' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('scale-result')).toContainText('at least 1 worker');
    await expect(page.getByTestId('tile-workers')).toHaveText(/\/3$/);
    await expect(page.getByTestId('connection')).toHaveText('live');
  });

  test('the API refuses bad worker counts and unknown rigs, and answers the rig detail', async ({ request }) => {
    for (const workers of [17, 2.5, 'three']) {
      const res = await request.post(`${server.url}/api/rigs/${RIG}/refinery/scale`, { data: { workers } });
      expect(res.status(), `workers: ${JSON.stringify(workers)}`).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('invalid');
      expect(body.error.message).toMatch(/workers/);
    }
    const unknown = await request.post(`${server.url}/api/rigs/no-such-rig/refinery/scale`, { data: { workers: 2 } });
    expect(unknown.status()).toBe(404);
    expect((await unknown.json()).error.code).toBe('not_found');

    const detail = await request.get(`${server.url}/api/rigs/${RIG}`);
    expect(detail.status()).toBe(200);
    const body = await detail.json();
    expect(body.rig.name).toBe(RIG);
    expect(body.rig.refineryWorkers).toBe(3);
    expect(body.stats.workers).toBe(3);
    expect(Array.isArray(body.queue)).toBe(true);
    expect(body.queue.map((mr: { position: number }) => mr.position)).toEqual(body.queue.map((_: unknown, i: number) => i + 1));

    const missing = await request.get(`${server.url}/api/rigs/no-such-rig`);
    expect(missing.status()).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
    expect((await request.get(`${server.url}/rigs/no-such-rig`)).status()).toBe(404);
  });

  test('the API sets the checks by `checks`, takes the deprecated `gates` with a note, and refuses both', async ({ request }) => {
    const url = `${server.url}/api/rigs/${RIG}/refinery`;
    const check = { name: 'checks', command: ['sh', '-c', 'sleep 2.5'], timeoutMs: 60_000 };
    const set = await request.patch(url, { data: { checks: [check] } });
    expect(set.status()).toBe(200);
    const body = await set.json();
    expect(body.settings.checks).toEqual([check]);
    expect(body.settings).not.toHaveProperty('gates');
    expect(body).not.toHaveProperty('deprecations');

    const old = await request.patch(url, { data: { gates: [check] } });
    expect(old.status()).toBe(200);
    const oldBody = await old.json();
    expect(oldBody.settings.checks).toEqual([check]);
    expect(oldBody.deprecations).toEqual(["'gates' is now 'checks'; 'gates' will be removed"]);

    const both = await request.patch(url, { data: { checks: [check], gates: [] } });
    expect(both.status()).toBe(400);
    expect((await both.json()).error).toMatchObject({ code: 'invalid', message: expect.stringMatching(/not both/) });
    const after = await request.patch(url, { data: { maxAttempts: 4 } });
    expect((await after.json()).settings.checks, 'the refused request changed nothing').toEqual([check]);
  });

  test('says so when the connection is lost instead of showing a stale rig as live', async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(`${server.url}/rigs/${RIG}`);
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await expect(page.getByTestId('tile-workers')).toHaveText(/\/3$/);
    await server.stop();
    await expect(page.getByTestId('connection')).toHaveText('disconnected, reconnecting', { timeout: 30_000 });
    await expect(page.getByTestId('stale')).toContainText('not updating');
    await screenshot(page, 'rig-reconnecting');
  });
});
