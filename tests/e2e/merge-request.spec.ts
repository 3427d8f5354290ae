/**
 * A merge request's page against the real server and the live demo town: opened from the
 * rig's merge queue, and for a request that landed it shows each check of the validation
 * that decided it with its exit status and duration, in both themes.
 */
import { expect, test, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';

test.describe('merge request page', () => {
  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '5' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('opens from the merge queue and shows each check with its exit status and duration', async ({ page, request }) => {
    test.setTimeout(360_000);
    // From the queue: the request's id links to its page.
    await page.goto(`${server.url}/rigs/${RIG}`);
    const link = page.getByTestId('queue-mr-link').first();
    await expect(link).toBeVisible({ timeout: 180_000 });
    const queued = (await link.textContent())!.trim();
    await link.click();
    await expect(page).toHaveURL(new RegExp(`/rigs/${RIG}/mq/${queued}$`));
    await expect(page.getByTestId('mr-id')).toHaveText(queued);

    // A request that landed: its checks' runs are on its page.
    let merged: string | undefined;
    await expect
      .poll(
        async () => {
          const events = (await (
            await request.get(`${server.url}/api/events?type=mr.merged&rig=${RIG}&limit=5`)
          ).json()) as Array<{
            data: { mr: string };
          }>;
          merged = events[0]?.data.mr;
          return merged;
        },
        { timeout: 240_000, intervals: [2_000], message: 'a merge request lands' },
      )
      .toBeTruthy();
    const api = await (await request.get(`${server.url}/api/rigs/${RIG}/mq/${merged}`)).json();
    expect(api.mergeRequest.status).toBe('merged');
    for (const theme of ['dark', 'light'] as const) {
      await page.addInitScript((t) => localStorage.setItem('gt-theme', t), theme);
      await page.goto(`${server.url}/rigs/${RIG}/mq/${merged}`);
      await expect(page.getByTestId('mr-status')).toHaveText('merged');
      const run = page.getByTestId('check-run').first();
      await expect(run.getByTestId('check-run-name')).toHaveText(api.mergeRequest.checkRuns[0].name);
      await expect(run.getByTestId('check-run-status')).toHaveText('passed');
      await expect(run.getByTestId('check-run-exit')).toHaveText('exit 0');
      await expect(run.getByTestId('check-run-duration')).toHaveText(/^\d+\.\d s$|min/);
      await screenshot(page, theme === 'dark' ? 'merge-request' : 'merge-request-light');
    }
    // An unknown request is a 404, on the page and the API.
    expect((await request.get(`${server.url}/api/rigs/${RIG}/mq/mr-zznone`)).status()).toBe(404);
  });
});
