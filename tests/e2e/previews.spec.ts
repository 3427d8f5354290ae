/**
 * Previews of the levers on the live demo town, as an operator meets them: while a
 * preview runs the page says which step it is on and for how long, and Cancel stops the
 * server's work (the server says where it stopped); a preview computed before Apply is
 * marked out of date instead of shown as current; the convoy's wave-size box shows the
 * plan in force and a preview's landing time is never "0.0 h".
 */
import { expect, test, type Page, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';

async function inTheme(page: Page, theme: 'dark' | 'light') {
  await page.addInitScript((t) => localStorage.setItem('gt-theme', t), theme);
}

test.describe('previews', () => {
  test.describe.configure({ mode: 'serial' });

  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('a bad preview is refused before anything streams', async ({ request }) => {
    const bad = await request.post(`${server.url}/api/lab/preview`, {
      headers: { accept: 'application/x-ndjson' },
      data: { rig: RIG, change: { kind: 'scale', workers: 99 } },
    });
    expect(bad.status()).toBe(400);
    expect((await bad.json()).error.message).toMatch(/workers/);
  });

  test('shows progress, cancels (the server stops), and marks a preview out of date after Apply', async ({ page }) => {
    test.setTimeout(180_000);
    await inTheme(page, 'dark');
    await page.goto(`${server.url}/rigs/${RIG}`);
    const panel = page.getByTestId('whatif-preview').first();
    await page.getByLabel('Refinery workers (1–16)').fill('2');

    // Running: step i of n with the time so far, and a Cancel that stops the server's runs.
    await panel.getByTestId('whatif-preview-run').click();
    await expect(panel.getByTestId('whatif-preview-progress')).toContainText(/Step \d+ of \d+|Waiting for the lab/);
    await screenshot(page, 'preview-running');
    await panel.getByTestId('whatif-preview-cancel').click();
    await expect(panel.getByTestId('whatif-preview-cancelled')).toContainText('Cancelled');
    await expect(panel.getByTestId('whatif-preview-result')).toHaveCount(0);
    await expect
      .poll(() => server.output(), { timeout: 30_000 })
      .toMatch(/\[lab\] preview of myproject stopped (at step \d+ of \d+|before it started)/);

    // Run to the end: the figures, current.
    await panel.getByTestId('whatif-preview-run').click();
    const result = panel.getByTestId('whatif-preview-result');
    await expect(result).toContainText('Merges / hour', { timeout: 90_000 });
    await expect(result).toHaveAttribute('data-stale', 'false');
    await expect(panel.getByTestId('whatif-preview-stale')).toHaveCount(0);

    // Apply the previewed count: the preview was of the rig before it, so it is out of date.
    await page.getByTestId('workers-apply').click();
    await page.getByTestId('confirm-ok').click(); // scaling up asks first
    await expect(page.getByTestId('scale-result')).toHaveText('Refinery scaled to 2 workers');
    await expect(panel.getByTestId('whatif-preview-stale')).toBeVisible({ timeout: 30_000 });
    await expect(result).toHaveAttribute('data-stale', 'true');
    await expect(panel.getByTestId('whatif-preview-run')).toHaveText(/again$/);
    await screenshot(page, 'preview-stale');
  });

  for (const theme of ['dark', 'light'] as const) {
    test(`previews a stagger on a convoy: the box shows the plan, landing in s/min, stale after dispatch (${theme})`, async ({
      page,
    }) => {
      test.setTimeout(180_000);
      await inTheme(page, theme);
      const created = await page.request.post(`${server.url}/api/convoys`, {
        data: {
          title: `Preview sprint ${theme}`,
          hold: true,
          beads: Array.from({ length: 12 }, (_, i) => ({ title: `Preview part ${i + 1}`, rig: RIG, paths: ['ui/'] })),
        },
      });
      expect(created.status()).toBe(201);
      const id = (await created.json()).id as string;
      await page.goto(`${server.url}/convoys/${id}`);
      const input = page.getByLabel('Wave size');
      await input.fill('4');
      await page.getByTestId('whatif-preview-run').click();
      const result = page.getByTestId('whatif-preview-result');
      await expect(result).toContainText('Convoy lands in', { timeout: 90_000 });
      const landing = result.locator('tr', { hasText: 'Convoy lands in' });
      await expect(landing).not.toContainText('0.0 h');
      await expect(landing).toContainText(/\d+ (s|min)|\d+\.\d h/);
      await screenshot(page, theme === 'dark' ? 'preview-stagger' : 'preview-stagger-light');

      await page.getByTestId('stagger-button').click();
      await expect(page.getByTestId('convoy-action-result')).toHaveText('Dispatched 3 waves of up to 4');
      await expect(page.getByTestId('whatif-preview-stale')).toBeVisible({ timeout: 30_000 });
      // The box shows the plan in force, whatever the Refinery suggests beside it.
      await expect(page.getByText('Current plan: waves of 4.')).toBeVisible();
      await expect(input).toHaveValue('4');
      await screenshot(page, theme === 'dark' ? 'preview-stagger-stale' : 'preview-stagger-stale-light');
    });
  }
});
