/**
 * The what-if lab against a real server and the live demo town: the page is on the
 * navigation bar; a seed scenario runs and shows the seed's figure beside the simulated
 * one, in the comparison table and the charts; a bad lever is refused with the server's
 * message and adds no run; "start from this rig" calibrates the form from the live rig;
 * the preview API answers before/after figures and refuses a bad change with a 400.
 */
import { expect, test, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';

test.describe('the what-if lab', () => {
  test.describe.configure({ mode: 'serial' });

  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('runs a seed scenario and compares its runs side by side with the seed figures', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(server.url + '/');
    await page.getByTestId('nav-lab').click();
    await expect(page).toHaveURL(/\/lab$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('What-if lab');
    await expect(page.getByTestId('lab-empty')).toBeVisible();

    await page.getByTestId('lab-scenario').selectOption('conflicts');
    await expect(page.getByTestId('lab-claim')).toContainText('~10%');
    await page.getByTestId('lab-run-scenario').click();
    await expect(page.getByTestId('lab-run-name')).toHaveText(['5 polecats', '15 polecats', '30 polecats'], { timeout: 60_000 });
    await expect(page.getByTestId('lab-cell-seed-says').first()).toContainText('~10% (conflict rate)');
    await expect(page.getByTestId('lab-cell-conflict-rate').first()).toHaveText(/^\d+% \(n=\d+\)$/);
    await expect(page.getByTestId('lab-bars').getByRole('application')).toBeVisible();
    await expect(page.locator('[data-testid=lab-bars] .recharts-bar-rectangle').first()).toBeVisible();
    await expect(page.locator('[data-testid=lab-queue-chart] .recharts-line')).toHaveCount(3);
    await screenshot(page, 'lab');
  });

  test('refuses a bad lever with the server message and adds no run; a good one adds a run', async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(server.url + '/lab');
    await page.getByTestId('lab-polecats').fill('-3');
    await page.getByTestId('lab-run').click();
    await expect(page.getByTestId('lab-message')).toContainText('polecatsPerRig');
    await expect(page.getByTestId('lab-empty')).toBeVisible();

    await page.getByTestId('lab-polecats').fill('6');
    await page.getByTestId('lab-workers').fill('2');
    await page.getByTestId('lab-hours').fill('4');
    await page.getByTestId('lab-run').click();
    await expect(page.getByTestId('lab-run-name')).toHaveText(['run 1'], { timeout: 30_000 });
    await expect(page.getByTestId('lab-cell-set-up')).toContainText('6 polecats, 2 workers');
  });

  test('starts from the live rig: the form is calibrated from its history', async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(server.url + '/lab');
    await expect(page.getByTestId('lab-rig')).toHaveValue(RIG, { timeout: 30_000 });
    await page.getByTestId('lab-calibrate').click();
    await expect(page.getByTestId('lab-calibration')).toContainText(`${RIG}:`, { timeout: 60_000 });
    await expect(page.getByTestId('lab-message')).toContainText(`calibrated from ${RIG}`);
  });

  test('previews a lever through the API, and refuses a bad change with a 400', async ({ request }) => {
    test.setTimeout(120_000);
    const bad = await request.post(`${server.url}/api/lab/preview`, {
      data: { rig: RIG, change: { kind: 'scale', workers: 99 } },
    });
    expect(bad.status()).toBe(400);
    expect((await bad.json()).error.message).toMatch(/workers/);
    const missing = await request.post(`${server.url}/api/lab/preview`, {
      data: { rig: 'nope', change: { kind: 'scale', workers: 2 } },
    });
    expect(missing.status()).toBe(404);
    const ok = await request.post(`${server.url}/api/lab/preview`, { data: { rig: RIG, change: { kind: 'scale', workers: 3 } } });
    expect(ok.status()).toBe(200);
    const body = await ok.json();
    expect(body.before.params.workers).not.toBe(3);
    expect(body.after.params.workers).toBe(3);
    expect(typeof body.after.figures.mergesPerHour).toBe('number');
  });

  test('previews more Refinery workers from the rig page before they are applied', async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(`${server.url}/rigs/${RIG}`);
    await page.getByLabel('Refinery workers (1–16)').fill('3');
    await page.getByTestId('whatif-preview-run').click();
    const result = page.getByTestId('whatif-preview-result');
    await expect(result).toContainText('Merges / hour', { timeout: 60_000 });
    await expect(result).toContainText(`Simulated from ${RIG}`);
    await screenshot(page, 'rig-preview');
  });
});
