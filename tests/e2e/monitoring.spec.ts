/**
 * The browser side of issue 22 on the live demo town (one engine minute per real second):
 * pages load without a 404 (the favicon and app icon are there), the tab's title names the
 * town and, once an alert fires, how many fire; the alerts page's Alertmanager panel shows
 * where alerts go and a delivery to an Alertmanager that is down, failed after its retries.
 */
import { expect, test, type RunningServer } from './fixtures';

const TOWN = 'e2e-town';
const RULE = 'merge-queue-backlog';
/** The discard port on loopback, where nothing listens: the Alertmanager that is down. */
const DEAD_PORT = 9;

test.describe('monitoring in the browser', () => {
  let server: RunningServer;
  test.use({
    town: {
      env: { GT_DEMO: '1', GT_TIME_SCALE: '60', GT_TOWN_NAME: TOWN, GT_ALERTMANAGER_URL: `http://127.0.0.1:${DEAD_PORT}` },
    },
  });
  test.beforeEach(({ server: started }) => void (server = started));

  test('the title names the town and counts firing alerts; icons load; a down Alertmanager shows failed', async ({
    page,
    request,
    signIn,
  }) => {
    test.setTimeout(240_000);
    const viewer = await signIn('viewer', '/', 'vic');
    const missing: string[] = [];
    viewer.on('response', (r) => r.status() === 404 && missing.push(r.url()));
    await viewer.reload();
    await expect(viewer.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await expect(viewer).toHaveTitle(new RegExp(`${TOWN} · Gas Town Fleet$`), { timeout: 30_000 });
    const icons = await viewer
      .locator('link[rel~="icon"], link[rel="apple-touch-icon"]')
      .evaluateAll((ls) => ls.map((l) => (l as HTMLLinkElement).href));
    expect(icons.length).toBeGreaterThanOrEqual(2);
    for (const href of icons) expect((await viewer.request.get(href)).status(), href).toBe(200);
    expect((await viewer.request.get(`${server.url}/favicon.ico`)).status()).toBe(200);
    expect(missing).toEqual([]);

    // An alert fires: the count comes into the title, on the overview and on the alerts page.
    const lowered = await request.patch(`${server.url}/api/alerts/rules/${RULE}`, {
      data: { conditions: [{ metric: 'queue_depth', op: '>=', threshold: 0 }], forMs: 0, keepFiringForMs: 30 * 60_000 },
    });
    expect(lowered.status()).toBe(200);
    await expect(viewer).toHaveTitle(new RegExp(`^\\(\\d+\\) ${TOWN} · Gas Town Fleet$`), { timeout: 60_000 });
    await page.goto(`${server.url}/alerts`);
    await expect(page).toHaveTitle(new RegExp(`^\\(\\d+\\) ${TOWN} · Gas Town Fleet$`), { timeout: 30_000 });

    // The Alertmanager that is down: retried (1 + 2 + 4 + 8 s), then shown failed (a regex: `hasText` strings ignore case).
    const panel = page.getByTestId('alerts-alertmanager');
    await expect(panel).toContainText(`To http://127.0.0.1:${DEAD_PORT}`);
    await expect(
      panel
        .getByTestId('alertmanager-delivery')
        .filter({ hasText: /FAILED after [2-9] attempts/ })
        .first(),
    ).toBeVisible({
      timeout: 90_000,
    });
    await expect(panel.getByTestId('alertmanager-failed')).toHaveText(/^[1-9]\d* failed$/);
  });
});
