/**
 * Splitting a rig from its page, against a real server and the live demo town: the
 * dialog suggests partitions, previews the split live (before/after diagrams, what moves
 * where), shows a bad glob's reason without changing anything, asks before applying (with
 * what moves and how many polecats it adds; Escape and Cancel change nothing), applies; the
 * retired rig's page says where its work went and offers no controls; the partitions
 * appear in the overview's partition diagram and land work on their own; merging back
 * (confirmed too) restores the rig. A viewer cannot split.
 */
import { expect, test, type RunningServer } from './fixtures';
import { screenshot, screenshotBothThemes } from './screenshots';

const RIG = 'myproject';

interface RigJson {
  rig: { name: string; status: string; merged: number; lineage: { splitInto: string[] } | null };
}

test.describe('splitting a rig', () => {
  test.describe.configure({ mode: 'serial' });

  let server: RunningServer;
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '5' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  const rigJson = async (name: string): Promise<RigJson> =>
    (await fetch(`${server.url}/api/rigs/${name}`, { headers: server.authHeaders() })).json() as Promise<RigJson>;

  test('a viewer cannot split a rig', async () => {
    const res = await fetch(`${server.url}/api/rigs/${RIG}/split`, {
      method: 'POST',
      headers: { ...server.authHeaders('viewer'), 'content-type': 'application/json' },
      body: JSON.stringify({ partitions: [{ name: 'x-core', globs: ['core/**'] }] }),
    });
    expect(res.status).toBe(403);
    expect((await rigJson(RIG)).rig.status).toBe('active');
  });

  test('previews, applies and merges back a split from the rig page', async ({ page }) => {
    test.setTimeout(360_000);
    await page.goto(`${server.url}/rigs/${RIG}`);
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await page.getByTestId('split-open').click();
    const dialog = page.getByTestId('split-dialog');
    await expect(dialog).toBeVisible();

    // Suggested partitions: the demo repository's three areas.
    await expect(page.getByTestId('partition-globs-0')).not.toHaveValue('', { timeout: 30_000 });
    const globs = await Promise.all([0, 1, 2].map((i) => page.getByTestId(`partition-globs-${i}`).inputValue()));
    expect(globs.sort()).toEqual(['core/**', 'tests/**', 'ui/**']);

    // The live preview: diagrams of before and after, and the plan.
    await expect(page.getByTestId('split-after').locator('svg')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('split-before').locator('svg')).toContainText(RIG);
    for (const area of ['core', 'ui', 'tests']) {
      await expect(page.getByTestId('split-after').locator('svg')).toContainText(`${RIG}-${area}`);
      await expect(page.getByTestId('split-plan')).toContainText(`${RIG}-${area}`);
    }
    await screenshot(page, 'split-preview');

    // A bad glob gets the server's reason, and Apply is off until it is fixed.
    const first = page.getByTestId('partition-globs-0');
    const good = await first.inputValue();
    await first.fill('../secrets/**');
    await expect(page.getByTestId('split-error')).toContainText("'..' segment");
    await expect(page.getByTestId('split-apply')).toBeDisabled();
    await first.fill(good);
    await expect(page.getByTestId('split-preview')).toBeVisible({ timeout: 15_000 });
    expect((await rigJson(RIG)).rig.status).toBe('active');

    // Apply asks first, with the plan's numbers; Escape and Cancel change nothing.
    const confirm = page.getByTestId('confirm-dialog');
    await page.getByTestId('split-apply').click();
    await expect(confirm).toBeVisible();
    await expect(page.getByTestId('confirm-cancel')).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(confirm).toHaveCount(0);
    await expect(dialog).toBeVisible(); // Escape closed the confirmation only
    await page.getByTestId('split-apply').click();
    await expect(page.getByTestId('split-summary')).toContainText(
      /^Moves \d+ merge requests? \(\d+ queued\) and \d+ beads? to \d+ new rigs \(.*\), adds \d+ polecats?/,
    );
    for (const area of ['core', 'ui', 'tests']) await expect(page.getByTestId('split-summary')).toContainText(`${RIG}-${area}`);
    await expect(page.getByTestId('confirm-summary')).toContainText(`${RIG} is retired`);
    // Tab stays inside the confirmation.
    await page.keyboard.press('Tab');
    await expect(page.getByTestId('confirm-ok')).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(page.getByTestId('confirm-cancel')).toBeFocused();
    await screenshotBothThemes(page, 'split-confirm', { fullPage: false });
    await page.getByTestId('confirm-cancel').click();
    await expect(confirm).toHaveCount(0);
    expect((await rigJson(RIG)).rig.status).toBe('active');
    expect((await rigJson(RIG)).rig.lineage?.splitInto ?? []).toEqual([]);

    await page.getByTestId('split-apply').click();
    await page.getByTestId('confirm-ok').click();
    await expect(page.getByTestId('lineage-result')).toContainText(`${RIG} split into`, { timeout: 30_000 });
    const parent = await rigJson(RIG);
    expect(parent.rig.status).toBe('retired');
    const partitions = parent.rig.lineage!.splitInto;
    expect(partitions).toEqual(expect.arrayContaining([`${RIG}-core`, `${RIG}-ui`, `${RIG}-tests`]));

    // The retired rig's page: retired, when, where its work went (links), and no live controls.
    await page.reload();
    const notice = page.getByTestId('retired-notice');
    await expect(notice).toContainText(/Retired \d+ (s|min) ago, split into/, { timeout: 30_000 });
    for (const p of partitions) await expect(notice.getByTestId(`retired-to-${p}`)).toHaveAttribute('href', `/rigs/${p}`);
    await expect(page.getByText('every merge request has landed')).toHaveCount(0);
    for (const id of ['split-open', 'workers-apply', 'workers-input', 'park-toggle', 'rig-remove-open', 'agent-form']) {
      await expect(page.getByTestId(id), id).toHaveCount(0);
    }
    for (const name of ['Nudge', 'Restart', 'Park rig', 'Unpark rig', 'Apply']) {
      await expect(page.getByRole('button', { name, exact: true }), name).toHaveCount(0);
    }
    await screenshotBothThemes(page, 'rig-retired');
    await notice.getByTestId(`retired-to-${RIG}-ui`).click();
    await expect(page.getByTestId('rig-name')).toHaveText(`${RIG}-ui`);

    // The overview draws the partitions; their Refineries land work on their own.
    await page.goto(`${server.url}/`);
    const diagram = page.getByTestId('partition-diagram').locator('svg');
    for (const p of [`${RIG}-core`, `${RIG}-ui`, `${RIG}-tests`]) await expect(diagram).toContainText(p, { timeout: 30_000 });
    await expect(page.getByTestId(`rig-link-${RIG}`)).toHaveCount(0);
    await expect
      .poll(async () => (await Promise.all(partitions.map(rigJson))).filter((r) => r.rig.merged > 0).length, {
        timeout: 240_000,
        intervals: [2_000],
        message: 'the partitions land merges on their own',
      })
      .toBeGreaterThanOrEqual(2);
    await screenshot(page, 'overview-partitions');

    // Merge back from a partition's page.
    await page.goto(`${server.url}/rigs/${RIG}-ui`);
    await page.getByTestId('merge-back').click();
    await expect(page.getByTestId('confirm-summary')).toContainText(
      new RegExp(
        `^Moves \\d+ queued merge requests?, \\d+ open beads? and \\d+ polecats? from \\d+ partitions .* back into ${RIG}\\.`,
      ),
    );
    await page.getByTestId('confirm-cancel').click();
    expect((await rigJson(RIG)).rig.status).toBe('retired');
    await page.getByTestId('merge-back').click();
    await page.getByTestId('confirm-ok').click();
    await expect(page.getByTestId('lineage-result')).toHaveText(`Partitions merged back into ${RIG}`, { timeout: 30_000 });
    expect((await rigJson(RIG)).rig.status).toBe('active');
    for (const p of partitions) expect((await rigJson(p)).rig.status).toBe('retired');
  });
});
