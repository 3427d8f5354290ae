/**
 * Alerts against a real server and the live demo town (one engine minute per real second):
 * an operator lowers the merge-queue rule's threshold, a banner appears on the overview and
 * the rig page with where, since when and the recommended action; it is acknowledged and
 * silenced from the banner, the silence is ended from the alerts page, and raising the
 * threshold back in the rules editor resolves it: the banner goes and the alert is in the
 * history. A viewer sees the banner without any action, and the API refuses a viewer's
 * action (403) and a browser write without its CSRF token.
 */
import { expect, test, type Page, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RULE = 'merge-queue-backlog';

test.describe('alerts', () => {
  test.describe.configure({ mode: 'serial' });
  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '60' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  const bannerIn = (page: Page) => page.getByTestId('alert-banners').locator(`[data-testid=alert-banner][data-rule=${RULE}]`);

  test('a banner appears when a rule fires, is acknowledged and silenced from the page, and goes when it resolves', async ({
    page,
    request,
    signIn,
  }) => {
    test.setTimeout(360_000);
    await page.goto(server.url + '/');
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await expect(bannerIn(page)).toHaveCount(0);

    // The operator's lever: queue depth > 1, at once; kept firing 30 engine minutes so a dip does not end it.
    const lowered = await request.patch(`${server.url}/api/alerts/rules/${RULE}`, {
      data: { conditions: [{ metric: 'queue_depth', op: '>', threshold: 1 }], forMs: 0, keepFiringForMs: 30 * 60_000 },
    });
    expect(lowered.status()).toBe(200);
    const bad = await request.patch(`${server.url}/api/alerts/rules/${RULE}`, { data: { forMs: -5 } });
    expect(bad.status()).toBe(400);

    const banner = bannerIn(page);
    await expect(banner).toBeVisible({ timeout: 120_000 });
    await expect(banner).toHaveAttribute('data-severity', 'warning');
    await expect(banner.getByTestId('alert-where')).toHaveText('myproject');
    await expect(banner.getByTestId('alert-where')).toHaveAttribute('href', '/rigs/myproject');
    await expect(banner.getByTestId('alert-since')).toContainText(/firing for \d+ (s|min)/);
    await expect(banner.getByTestId('alert-summary')).toContainText(/queue_depth \d+ \(> 1\) on myproject/);
    await expect(banner.getByTestId('alert-recommendation').first()).toHaveText('Scale Refinery workers 1 → 3');
    await expect(banner.getByTestId('alert-recommendation').nth(1)).toHaveText('Split the rig');
    const alertId = (await banner.getAttribute('data-alert-id'))!;
    await screenshot(page, 'alert-banner');

    await banner.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(banner.getByTestId('alert-acked')).toHaveText('· acknowledged by local-operator');
    await expect(banner.getByRole('button', { name: 'Acknowledge' })).toHaveCount(0);

    // The same alert on the rig's page.
    await page.goto(`${server.url}/rigs/myproject`);
    await expect(bannerIn(page)).toBeVisible({ timeout: 30_000 });
    await expect(bannerIn(page).getByTestId('alert-acked')).toContainText('local-operator');

    // A viewer sees it, with no action to take; the API refuses a viewer's action.
    const viewerPage = await signIn('viewer', '/', 'vic');
    await expect(viewerPage).toHaveURL(`${server.url}/`);
    await expect(bannerIn(viewerPage)).toBeVisible({ timeout: 30_000 });
    await expect(bannerIn(viewerPage).getByTestId('alert-actions')).toHaveCount(0);
    await expect(bannerIn(viewerPage).getByRole('button')).toHaveCount(0);
    const viewerSession = await (await viewerPage.request.get(`${server.url}/api/auth/session`)).json();
    expect(viewerSession).toMatchObject({ role: 'viewer', name: 'vic' });
    const viewerAck = await viewerPage.request.post(`${server.url}/api/alerts/${alertId}/ack`, {
      headers: { 'x-gt-csrf': viewerSession.csrfToken },
    });
    expect(viewerAck.status()).toBe(403);
    const viewerToken = await request.post(`${server.url}/api/commands/alert.rules.reset`, {
      data: {},
      headers: server.authHeaders('viewer'),
    });
    expect(viewerToken.status()).toBe(403);
    await viewerPage.goto(`${server.url}/alerts`);
    await expect(viewerPage.getByTestId(`rule-${RULE}`)).toBeVisible();
    await expect(viewerPage.getByRole('button', { name: 'Edit' })).toHaveCount(0);

    // A signed-in browser's write needs its CSRF token.
    const operatorPage = await signIn('operator', '/alerts', 'ada');
    const session = await (await operatorPage.request.get(`${server.url}/api/auth/session`)).json();
    expect(session).toMatchObject({ role: 'operator', name: 'ada', via: 'session' });
    const forged = await operatorPage.request.post(`${server.url}/api/commands/alert.ack`, { data: { id: alertId } });
    expect(forged.status()).toBe(403);
    expect((await forged.json()).error.code).toBe('csrf');
    const proper = await operatorPage.request.post(`${server.url}/api/commands/alert.ack`, {
      data: { id: alertId },
      headers: { 'x-gt-csrf': session.csrfToken },
    });
    expect(proper.status()).toBe(200);
    expect((await proper.json()).acknowledgedBy).toBe('local-operator'); // the first acknowledgement stands

    // Silence it from the banner: a reason and a duration are required.
    await page.goto(server.url + '/');
    await expect(bannerIn(page)).toBeVisible({ timeout: 30_000 });
    await bannerIn(page).getByRole('button', { name: 'Silence…' }).click();
    await bannerIn(page).getByLabel('Reason').fill('known: a fix is deploying');
    await bannerIn(page).getByLabel('Duration').selectOption({ label: 'for 4 h' });
    await bannerIn(page).getByRole('button', { name: 'Silence', exact: true }).click();
    await expect(bannerIn(page)).toHaveCount(0, { timeout: 30_000 });
    await expect(page.getByTestId('alert-muted-count')).toContainText('silenced');

    // The alerts page shows it firing but silenced, and the silence with its reason; end it there.
    await page.goto(`${server.url}/alerts`);
    const firing = page.getByTestId('alerts-firing').locator(`[data-rule=${RULE}]`);
    await expect(firing).toContainText('silenced', { timeout: 30_000 });
    const silence = page.getByTestId('silence-row');
    await expect(silence).toContainText('known: a fix is deploying');
    await expect(silence).toContainText(`rule=${RULE}`);
    await expect(silence).toContainText('rig=myproject');
    await expect(silence).toContainText('by local-operator');
    await screenshot(page, 'alerts');
    await silence.getByRole('button', { name: 'End now' }).click();
    await expect(page.getByTestId('silence-row')).toHaveCount(0);
    await page.goto(server.url + '/');
    await expect(bannerIn(page)).toBeVisible({ timeout: 30_000 });

    // Raise the threshold back in the rules editor: it resolves, the banner goes, the history has it.
    await page.goto(`${server.url}/alerts`);
    await page.getByTestId(`rule-${RULE}`).getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit Merge queue backlog' });
    await form.getByLabel('queue_depth threshold').fill('1000');
    await form.getByLabel('keep firing for (minutes)').fill('0');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByTestId('rules-result')).toHaveText(`Rule ${RULE} saved`);
    await expect(page.getByTestId(`rule-${RULE}`).getByTestId('rule-condition')).toHaveText('queue_depth > 1000');
    await expect(page.getByTestId('alerts-firing').locator(`[data-rule=${RULE}]`)).toHaveCount(0, { timeout: 60_000 });
    const past = page
      .getByTestId('history-row')
      .and(page.locator(`[data-rule=${RULE}]`))
      .first();
    await expect(past).toBeVisible({ timeout: 30_000 });
    await expect(past).toContainText('local-operator');
    await page.goto(server.url + '/');
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await expect(bannerIn(page)).toHaveCount(0);

    const history = await (await request.get(`${server.url}/api/alerts?state=resolved&rule=${RULE}`)).json();
    expect(history[0]).toMatchObject({ id: alertId, state: 'resolved', acknowledgedBy: 'local-operator' });
    expect(history[0].resolvedAt).toBeGreaterThan(history[0].firedAt);
  });

  test('serves /metrics to Prometheus with the viewer token, and refuses it without', async ({ request, playwright }) => {
    const stranger = await playwright.request.newContext({ extraHTTPHeaders: {} });
    expect((await stranger.get(`${server.url}/metrics`)).status()).toBe(401);
    await stranger.dispose();
    const scrape = await request.get(`${server.url}/metrics`, { headers: server.authHeaders('viewer') });
    expect(scrape.status()).toBe(200);
    expect(scrape.headers()['content-type']).toMatch(/text\/plain/);
    const text = await scrape.text();
    expect(text).toMatch(/^gt_queue_depth\{rig="myproject"\} \d+$/m);
    expect(text).toMatch(/^# TYPE gt_alerts gauge$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});
