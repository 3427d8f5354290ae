/**
 * Every page of the control room against a live demo town: each loads its live data in
 * the dark and the light theme (the screenshots in docs/ come from here), and a viewer
 * finds no action to take while the API refuses the viewer's actions.
 */
import { expect, test, type Page, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';

/** Each page and what shows that its live data arrived. */
const PAGES: Array<{ name: string; path: string; ready: (page: Page) => ReturnType<Page['getByTestId']> }> = [
  { name: 'overview', path: '/', ready: (p) => p.getByTestId('partition-diagram').locator('svg') },
  { name: 'rig', path: `/rigs/${RIG}`, ready: (p) => p.getByTestId('tile-queue') },
  { name: 'convoys', path: '/convoys', ready: (p) => p.getByTestId('convoy-row').first() },
  { name: 'costs', path: '/costs', ready: (p) => p.getByTestId('costs-table') },
  { name: 'alerts', path: '/alerts', ready: (p) => p.getByTestId('alerts-metric-chart') },
  { name: 'beads', path: '/beads', ready: (p) => p.getByTestId('bead-row').first() },
  { name: 'activity', path: '/activity', ready: (p) => p.getByTestId('event-row').first() },
];

test.describe('every page', () => {
  test.describe.configure({ mode: 'serial' });

  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '10' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  for (const theme of ['dark', 'light'] as const) {
    test(`loads live data on every page in the ${theme} theme`, async ({ page }) => {
      test.setTimeout(300_000);
      await page.addInitScript((t) => localStorage.setItem('gt-theme', t), theme);
      for (const { name, path, ready } of PAGES) {
        await page.goto(server.url + path);
        await expect(page.locator('html'), name).toHaveClass(theme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
        await expect(ready(page), `${name} shows its data`).toBeVisible({ timeout: 60_000 });
        await page.waitForTimeout(1_000); // charts and diagrams finish drawing
        await screenshot(page, theme === 'dark' ? `page-${name}` : `page-${name}-light`);
      }
    });
  }

  test('the seed’s backlog alert fires once the queue has held more than 5 for 10 minutes', async ({ page }) => {
    test.setTimeout(300_000);
    // The default rule, untouched: queue depth > 5 for 10 engine minutes (1 real minute at ×10).
    await page.goto(server.url + '/');
    const banner = page.getByTestId('alert-banner').filter({ hasText: /queue_depth \d+ \(> 5\) on myproject/ });
    await expect(banner).toBeVisible({ timeout: 240_000 });
    const summary = (await banner.getByTestId('alert-summary').textContent()) ?? '';
    expect(Number(/queue_depth (\d+)/.exec(summary)![1])).toBeGreaterThan(5);
    await expect(banner.getByTestId('alert-recommendation').nth(1)).toHaveText('Split the rig');
  });

  test.describe('as a viewer', () => {
    test('finds no action buttons, and the API refuses the actions', async ({ signIn }) => {
      test.setTimeout(180_000);
      const page = await signIn('viewer', `/rigs/${RIG}`);
      await expect(page.getByTestId('tile-queue')).toBeVisible({ timeout: 60_000 });
      await expect(page.locator('[aria-label=Polecats] [data-testid^=polecat-]').first()).toBeVisible({ timeout: 30_000 });
      for (const name of ['Split rig…', 'Apply', 'Nudge', 'Restart', 'Park rig', 'Unpark rig']) {
        await expect(page.getByRole('button', { name, exact: true }), name).toHaveCount(0);
      }
      await expect(page.getByTestId('workers-input')).toHaveCount(0);
      await expect(page.getByTestId('agent-form')).toHaveCount(0);

      await page.goto(server.url + '/convoys');
      await expect(page.getByTestId('convoy-row').first()).toBeVisible({ timeout: 30_000 });
      await expect(page.getByRole('form', { name: 'New convoy' })).toHaveCount(0);
      await page.getByTestId('convoy-row').first().getByRole('link').first().click();
      await expect(page.getByRole('button', { name: /Stagger|Dispatch/ })).toHaveCount(0);

      await page.goto(server.url + '/costs');
      await expect(page.getByTestId('costs-table')).toBeVisible({ timeout: 30_000 });
      await expect(page.getByRole('form', { name: 'Set the daily budget' })).toHaveCount(0);

      await page.goto(server.url + '/beads');
      await expect(page.getByTestId('bead-row').first()).toBeVisible({ timeout: 30_000 });
      await expect(page.getByTestId('bead-title')).toHaveCount(0);

      // The session cookie is the viewer's: the server refuses what the page no longer offers.
      const scale = await page.request.post(`${server.url}/api/rigs/${RIG}/refinery/scale`, { data: { workers: 2 } });
      expect(scale.status()).toBe(403);
      const split = await page.request.post(`${server.url}/api/commands/rig.split`, {
        data: { rig: RIG, partitions: [{ name: 'x-core', globs: ['core/**'] }] },
      });
      expect(split.status()).toBe(403);
    });
  });
});
