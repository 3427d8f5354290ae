/**
 * The history lab on the /lab page, against a real server and a real rig cloned from a
 * generated history: "Replay history" shows progress, then the curve beside the seed's
 * three points, where it reaches 30%, and the ranked partitions, in both themes; the
 * lab's calibration can fit to it; the split dialog shows the same evidence beside its
 * suggestion.
 */
import { expect, test, type RunningServer } from './fixtures';
import { screenshotOf } from './screenshots';
import { generateHistory, type GeneratedHistory } from '../support/history-repo';

test.describe('the history lab', () => {
  test.describe.configure({ mode: 'serial' });
  let server: RunningServer;
  let origin: GeneratedHistory;
  test.use({ town: { env: { GT_DEMO: '0' } } });
  test.beforeEach(({ server: started }) => void (server = started));
  test.afterAll(() => origin?.remove());

  test('replays a rig’s history and shows its curve, where it reaches 30% and its partitions', async ({ page, request }) => {
    test.setTimeout(180_000);
    origin = generateHistory('mixed', 1_500, 5);
    const added = await request.post(`${server.url}/api/commands/rig.add`, {
      data: { name: 'history', url: `file://${origin.repo}`, branch: 'main', polecats: 2 },
    });
    expect(added.status()).toBe(200);

    for (const theme of ['dark', 'light'] as const) {
      await page.addInitScript((t) => localStorage.setItem('gt-theme', t), theme);
      await page.goto(server.url + '/lab');
      const section = page.getByTestId('lab-history');
      await expect(page.getByTestId('lab-history-rig')).toHaveValue('history', { timeout: 30_000 });
      if (theme === 'dark') {
        await expect(page.getByTestId('lab-history-status')).toHaveText('not replayed yet');
        await page.getByTestId('lab-history-run').click();
        await expect(page.getByTestId('lab-history-status')).toContainText(/window \d+ of 40|waiting/);
      }
      await expect(page.getByTestId('lab-history-headline')).toContainText(
        /This repository (reaches|stays under) 30% conflicts/,
        {
          timeout: 120_000,
        },
      );
      await expect(page.getByTestId('lab-history-status')).toContainText('1500 changes, 40 windows (seed 1), 0 skipped');
      await expect(section.locator('.recharts-line')).toHaveCount(1);
      await expect(section.locator('.recharts-scatter-symbol')).toHaveCount(3);
      await expect(page.getByTestId('lab-history-partitions').locator('tbody tr').first()).toBeVisible();
      await screenshotOf(section, theme === 'dark' ? 'lab-history' : 'lab-history-light');
    }

    // "Start from this rig" can fit the modelled repository to the replayed curve.
    await expect(page.getByTestId('lab-rig')).toHaveValue('history');
    await page.getByTestId('lab-calibrate-history').check();
    await page.getByTestId('lab-calibrate').click();
    await expect(page.getByTestId('lab-calibration')).toContainText('conflict rate fitted to the replayed history', {
      timeout: 60_000,
    });

    await page.goto(server.url + '/rigs/history');
    await page.getByRole('button', { name: /split/i }).first().click();
    await expect(page.getByTestId('split-history')).toContainText('replayed history (1500 changes)');
  });
});
