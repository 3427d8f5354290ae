/**
 * Fail-stop, seen from the browser: another process holds the database's write lock past
 * the server's busy timeout, so a real store write fails; the town stops, /api/health says
 * why, commands answer 503 `unavailable`, and every page shows the banner, readable in both themes.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { expectReadable } from './contrast';
import { expect, test, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

let server: RunningServer;
test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '20' } } });
test.beforeEach(({ server: started }) => void (server = started));

test('says the town stopped, on every page, when a store write fails', async ({ page, request }) => {
  test.setTimeout(180_000);
  await page.goto(server.url + '/');
  await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
  await expect(page.getByTestId('town-stopped')).toHaveCount(0);

  // Held 12 s, longer than the server's 5 s busy timeout: its next write gives up. The
  // server blocks while it waits (better-sqlite3 is synchronous), so ask only after the release.
  const db = new Database(path.join(server.dataDir, 'gastown.db'), { timeout: 10_000 });
  db.exec('BEGIN EXCLUSIVE');
  await new Promise((resolve) => setTimeout(resolve, 12_000));
  db.exec('ROLLBACK');
  db.close();
  await expect
    .poll(async () => ((await (await request.get(server.url + '/api/health')).json()) as { stopped: unknown }).stopped, {
      timeout: 30_000,
      message: 'health reports the town stopped',
    })
    .toMatchObject({ reason: expect.stringMatching(/^the town stopped: the store refused a write/) });

  const refused = await request.post(server.url + '/api/beads', { data: { title: 'after the failure' } });
  expect(refused.status()).toBe(503);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unavailable');

  const banner = page.getByTestId('town-stopped');
  await expect(banner).toBeVisible({ timeout: 20_000 });
  await expect(banner).toContainText('Restart the server to reload the town from the database');
  await screenshot(page, 'town-stopped-dark');
  await expectReadable(page, 'town stopped (dark)');
  await page.evaluate(() => localStorage.setItem('gt-theme', 'light'));
  await page.goto(server.url + '/beads');
  await expect(page.getByTestId('town-stopped')).toBeVisible({ timeout: 20_000 });
  await screenshot(page, 'town-stopped-light');
  await expectReadable(page, 'town stopped (light)');
});
