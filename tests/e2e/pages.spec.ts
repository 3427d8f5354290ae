/**
 * The navigation bar, the beads page, the activity page and the theme, against a real
 * server and the live demo town: every page is one click from the bar (which marks where
 * you are); a bead created from the beads page shows up in its list; an empty title is
 * refused with the server's message and creates nothing; the activity page shows both in
 * the audit log (who, accepted or refused and why); the light theme sticks across a reload.
 */
import { expect, test, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';
const TITLE = `E2E pages bead ${Date.now().toString(36)}`;

test.describe('navigation, beads, activity and theme', () => {
  test.describe.configure({ mode: 'serial' });

  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('the navigation bar reaches every page and marks the current one', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(server.url + '/');
    await expect(page.getByTestId('nav-overview')).toHaveAttribute('aria-current', 'page');
    const pages = [
      ['convoys', '/convoys', 'Convoys'],
      ['beads', '/beads', 'Beads'],
      ['costs', '/costs', 'Costs'],
      ['alerts', '/alerts', 'Alerts'],
      ['activity', '/activity', 'Activity'],
      ['overview', '/', 'Gas Town Fleet'],
    ] as const;
    for (const [id, path, heading] of pages) {
      await page.getByTestId(`nav-${id}`).click();
      await expect(page).toHaveURL(new RegExp(`${path === '/' ? '/' : path}$`), { timeout: 30_000 });
      await expect(page.getByTestId(`nav-${id}`)).toHaveAttribute('aria-current', 'page');
      await expect(page.locator('[aria-label=Pages] [aria-current=page]')).toHaveCount(1);
      await expect(page.getByRole('heading', { level: 1 }).first()).toContainText(heading, { timeout: 30_000 });
    }
  });

  test('creates a bead from the beads page; an empty title is refused and adds nothing', async ({ page, request }) => {
    test.setTimeout(180_000);
    await page.goto(server.url + '/beads');
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await expect(page.getByTestId('bead-row').first()).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('bead-rig').locator(`option[value="${RIG}"]`)).toHaveCount(1, { timeout: 30_000 });

    await page.getByTestId('bead-title').fill(TITLE);
    await page.getByTestId('bead-rig').selectOption(RIG);
    await page.getByTestId('bead-priority').selectOption('1');
    await page.getByTestId('bead-paths').fill('src/e2e/pages.ts');
    await page.getByRole('button', { name: 'Create bead' }).click();
    await expect(page.getByTestId('bead-result')).toHaveAttribute('data-ok', 'true');
    await expect(page.getByTestId('bead-result')).toContainText(`on ${RIG}`);

    await page.getByTestId('filter-text').fill(TITLE);
    const row = page.getByTestId('bead-row').filter({ hasText: TITLE });
    await expect(row).toHaveCount(1, { timeout: 15_000 });
    await expect(row).toContainText(RIG);
    await expect(row).toContainText('P1');
    await page.getByTestId('filter-text').fill('');
    await expect(page.getByTestId('bead-row').nth(1)).toBeVisible();
    await screenshot(page, 'beads');

    // An empty title: the server's reason on the page, and no bead without a title anywhere.
    await page.getByTestId('bead-title').fill('   ');
    await page.getByRole('button', { name: 'Create bead' }).click();
    await expect(page.getByTestId('bead-result')).toHaveAttribute('data-ok', 'false');
    await expect(page.getByTestId('bead-result')).toContainText('a bead needs a title');
    const res = await request.get(`${server.url}/api/beads?limit=1000`);
    expect(res.ok()).toBe(true);
    const beads = (await res.json()) as { title: string }[];
    expect(beads.filter((b) => b.title.trim() === '')).toHaveLength(0);
    expect(beads.filter((b) => b.title === TITLE)).toHaveLength(1);
  });

  test('the activity page shows both attempts in the audit log, and engine events', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(server.url + '/activity');
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await page.getByTestId('filter-actor').fill('local-operator');
    const created = page.locator('[data-testid=audit-row][data-action="bead.create"][data-ok=true]').filter({ hasText: TITLE });
    await expect(created).toHaveCount(1, { timeout: 15_000 });
    await expect(created).toHaveAttribute('data-actor', 'local-operator');
    const refused = page.locator('[data-testid=audit-row][data-action="bead.create"][data-ok=false]');
    await expect(refused).toHaveCount(1);
    await expect(refused.getByTestId('audit-error')).toContainText('a bead needs a title');
    await expect(refused).toContainText('local-operator');
    await expect(page.getByTestId('event-row').first()).toBeVisible({ timeout: 30_000 });

    // Filters: an actor nobody is finds nothing; an event type shows only that type.
    await page.getByTestId('filter-type').fill('bead.created');
    await expect(page.getByTestId('event-row').first()).toBeVisible({ timeout: 15_000 });
    await expect(page.locator('[data-testid=event-row]:not([data-type="bead.created"])')).toHaveCount(0, { timeout: 15_000 });
    await page.getByTestId('filter-type').fill('');
    await expect(page.locator('[data-testid=event-row]:not([data-type="bead.created"])').first()).toBeVisible({
      timeout: 15_000,
    });
    await screenshot(page, 'activity');
    await page.getByTestId('filter-actor').fill('nobody-at-all');
    await expect(page.getByTestId('audit-empty')).toBeVisible({ timeout: 15_000 });
  });

  test('the theme toggles between dark and light and survives a reload', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(server.url + '/');
    const html = page.locator('html');
    await expect(html).toHaveClass(/\bdark\b/);
    await page.getByTestId('theme-toggle').click();
    await expect(html).not.toHaveClass(/\bdark\b/);
    await page.reload();
    await expect(html).not.toHaveClass(/\bdark\b/);
    await expect(page.getByTestId('theme-toggle')).toHaveAttribute('data-theme', 'light');
    await expect(page.getByTestId('total-queue')).toBeVisible({ timeout: 30_000 });
    await page.waitForTimeout(2_000); // let the charts draw
    await screenshot(page, 'overview-light');
    await page.getByTestId('theme-toggle').click();
    await expect(html).toHaveClass(/\bdark\b/);
    await page.reload();
    await expect(html).toHaveClass(/\bdark\b/);
  });
});
