/**
 * Confirmations and remedies against a real server and the live demo town (10 engine s per
 * real second). The queue alert's remedy names its target ("1 → 3"), asks first (Cancel
 * changes nothing), and once applied is shown as pending on every page instead of being
 * offered again, so the workers rise once; still firing after the settle time, the next
 * step is offered. On the rig page, scaling up, parking, restarting and removing a polecat
 * each ask first with the rig's numbers; Cancel changes nothing (the API and the audit
 * log say so) and Confirm applies.
 */
import { expect, test, type Page, type RunningServer } from './fixtures';
import { screenshotBothThemes } from './screenshots';

const RIG = 'myproject';
const RULE = 'merge-queue-backlog';

interface RigJson {
  rig: { status: string; refineryWorkers: number; polecats: Array<{ id: string; name: string; beadId: string | null }> };
}

test.describe('confirmations and remedies', () => {
  test.describe.configure({ mode: 'serial' });
  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '10' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  const rigJson = async (): Promise<RigJson> =>
    (await fetch(`${server.url}/api/rigs/${RIG}`, { headers: server.authHeaders() })).json() as Promise<RigJson>;
  const audited = async (action: string): Promise<number> =>
    ((await (await fetch(`${server.url}/api/audit?action=${action}`, { headers: server.authHeaders() })).json()) as unknown[])
      .length;
  const bannerIn = (page: Page) => page.getByTestId('alert-banners').locator(`[data-testid=alert-banner][data-rule=${RULE}]`);

  test('the queue remedy names its target, asks first, and is not offered again while its effect is pending', async ({
    page,
    request,
    signIn,
  }) => {
    test.setTimeout(240_000);
    expect((await rigJson()).rig.refineryWorkers).toBe(1);
    // The operator's lever: a queue of any depth fires at once, and keeps firing.
    const lowered = await request.patch(`${server.url}/api/alerts/rules/${RULE}`, {
      data: { conditions: [{ metric: 'queue_depth', op: '>=', threshold: 0 }], forMs: 0, keepFiringForMs: 30 * 60_000 },
    });
    expect(lowered.status()).toBe(200);

    await page.goto(`${server.url}/`);
    const banner = bannerIn(page);
    const remedy = banner.getByTestId('alert-recommendation').first();
    await expect(remedy).toHaveText('Scale Refinery workers 1 → 3', { timeout: 60_000 });

    await remedy.click();
    await expect(page.getByTestId('confirm-summary')).toContainText('refinery.scale');
    await expect(page.getByTestId('confirm-summary')).toContainText('"workers":3');
    await page.getByTestId('confirm-cancel').click();
    await expect(page.getByTestId('confirm-dialog')).toHaveCount(0);
    expect((await rigJson()).rig.refineryWorkers).toBe(1);
    expect(await audited('refinery.scale')).toBe(0);

    await remedy.click();
    await page.getByTestId('confirm-ok').click();
    const pending = banner.getByTestId('alert-remedy-pending');
    await expect(pending).toHaveText('Scaling to 3 — waiting for the queue to drain', { timeout: 30_000 });
    await expect(banner.getByRole('button', { name: /Scale Refinery/ })).toHaveCount(0);
    expect((await rigJson()).rig.refineryWorkers).toBe(3);

    // Pending lives on the server: another browser (a viewer too) sees it, and the API carries it.
    const other = await signIn('viewer', '/');
    await expect(bannerIn(other).getByTestId('alert-remedy-pending')).toHaveText(/Scaling to 3/, { timeout: 30_000 });
    await other.close();
    type Firing = {
      lastEvaluatedAt: number;
      recommendations: Array<{ label: string; applied?: { at: number; status: string } }>;
    };
    const firing = async () =>
      ((await (await request.get(`${server.url}/api/alerts?state=firing&rule=${RULE}`)).json()) as Firing[])[0];
    const alert = await firing();
    expect(alert.recommendations[0]).toMatchObject({
      label: 'Scale Refinery workers 1 → 3',
      applied: { status: /Scaling to 3/ },
    });

    // Three evaluations later (10 engine s apart) it is still pending, and the workers rose once.
    const appliedAt = alert.recommendations[0].applied!.at;
    await expect.poll(async () => (await firing()).lastEvaluatedAt, { timeout: 30_000 }).toBeGreaterThan(appliedAt + 30_000);
    await expect(pending).toBeVisible();
    expect((await rigJson()).rig.refineryWorkers).toBe(3);
    expect(await audited('refinery.scale')).toBe(1);
    await screenshotBothThemes(page, 'alert-remedy-pending');

    // Still firing when the settle time (10 engine min, 60 real s) is over: the next step is offered.
    await expect(remedy).toHaveText('Scale Refinery workers 3 → 5', { timeout: 120_000 });
    expect((await rigJson()).rig.refineryWorkers).toBe(3);
    expect((await request.post(`${server.url}/api/commands/alert.rules.reset`, { data: {} })).status()).toBe(200);
  });

  test('scaling up, parking, restarting and removing a polecat ask first; Cancel changes nothing', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(`${server.url}/rigs/${RIG}`);
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    const confirm = page.getByTestId('confirm-dialog');
    const summary = page.getByTestId('confirm-summary');

    // Scale up: says how many workers it adds and what they cost.
    const workers = (await rigJson()).rig.refineryWorkers;
    await page.getByTestId('workers-input').fill(String(workers + 2));
    await page.getByTestId('workers-apply').click();
    await expect(summary).toContainText(`Adds 2 Refinery workers (${workers} → ${workers + 2})`);
    await expect(summary).toContainText(/merge requests? queued now/);
    await screenshotBothThemes(page, 'confirm-scale', { fullPage: false });
    await page.keyboard.press('Escape');
    await expect(confirm).toHaveCount(0);
    expect((await rigJson()).rig.refineryWorkers).toBe(workers);
    await page.getByTestId('workers-apply').click();
    await page.getByTestId('confirm-ok').click();
    await expect(page.getByTestId('scale-result')).toHaveText(`Refinery scaled to ${workers + 2} workers`);
    expect((await rigJson()).rig.refineryWorkers).toBe(workers + 2);
    // Down does not ask: fewer workers cost less.
    await page.getByTestId('workers-input').fill(String(workers));
    await page.getByTestId('workers-apply').click();
    await expect(page.getByTestId('scale-result')).toHaveText(`Refinery scaled to ${workers} worker${workers === 1 ? '' : 's'}`);
    await expect(confirm).toHaveCount(0);

    // Park: says how many polecats and beads wait.
    await page.getByTestId('park-toggle').click();
    await expect(summary).toContainText(
      /No new work is dispatched to its \d+ polecats?: \d+ open beads? wait until it is unparked/,
    );
    await page.getByTestId('confirm-cancel').click();
    expect((await rigJson()).rig.status).toBe('active');
    expect(await audited('rig.park')).toBe(0);
    await page.getByTestId('park-toggle').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(async () => (await rigJson()).rig.status).toBe('parked');
    // The page learns of the park from the rig's stream: click Unpark once it says so.
    await expect(page.getByTestId('park-toggle')).toHaveText('Unpark rig');
    await page.getByTestId('park-toggle').click(); // unparking resumes work: no confirmation
    await expect(confirm).toHaveCount(0);
    await expect.poll(async () => (await rigJson()).rig.status).toBe('active');

    // Restart a working polecat: says what it stops.
    const restart = page.locator('[data-testid^=restart-]').first();
    await expect(restart).toBeVisible({ timeout: 60_000 });
    const name = (await restart.getAttribute('data-testid'))!.replace('restart-', '');
    await restart.click();
    await expect(summary).toContainText(new RegExp(`^Stops ${name}’s agent on \\S+ \\(\\w+ for \\d+ (s|min)`));
    await page.getByTestId('confirm-cancel').click();
    expect(await audited('polecat.restart')).toBe(0);
    await restart.click();
    await page.getByTestId('confirm-ok').click();
    await expect(page.getByRole('status').filter({ hasText: `${RIG}/${name}: restarted` })).toBeVisible();
    expect(await audited('polecat.restart')).toBe(1);

    // Remove: says when it goes and how many stay; Cancel keeps it.
    const count = (await rigJson()).rig.polecats.length;
    await page.getByTestId(`remove-${name}`).click();
    await expect(summary).toContainText(`The rig keeps ${count - 1} polecat`);
    await page.getByTestId('confirm-cancel').click();
    expect((await rigJson()).rig.polecats.map((p) => p.name)).toContain(name);
    expect(await audited('polecat.remove')).toBe(0);
  });
});
