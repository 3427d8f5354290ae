/**
 * Convoys and costs against a real server and the live demo town. A held convoy of 8
 * priority-0 beads is staggered from its page in waves of 4: wave 1 is dispatched while
 * wave 2 is held, and wave 2 starts only after wave 1's merges have landed, as the page's
 * wave timeline and its live Mermaid diagram show without a reload. Bad wave sizes are
 * refused with the server's message and change nothing. The costs page groups tokens and
 * spend, refuses a negative budget and shows today's spend against a budget it sets. A
 * lost connection is said out loud.
 */
import { expect, test, type Page, type RunningServer } from './fixtures';
import { screenshot } from './screenshots';

const RIG = 'myproject';
const BEADS = 8;
const WAVE = 4;

interface WaveRow {
  state: string;
  dispatchedAt: string;
  landedAt: string;
}

/** Both waves' rows, read in one go so the pair is one consistent moment of the page. */
async function waveRows(page: Page): Promise<[WaveRow | null, WaveRow | null]> {
  return page.evaluate(() => {
    const read = (i: number) => {
      const row = document.querySelector(`[data-testid="wave-row-${i}"]`);
      return row
        ? {
            state: row.getAttribute('data-state') ?? '',
            dispatchedAt: row.getAttribute('data-dispatched-at') ?? '',
            landedAt: row.getAttribute('data-landed-at') ?? '',
          }
        : null;
    };
    return [read(1), read(2)] as [WaveRow | null, WaveRow | null];
  });
}

const diagramText = (page: Page) => page.getByTestId('wave-diagram').locator('svg').first().textContent();

test.describe('convoys and costs', () => {
  test.describe.configure({ mode: 'serial' });

  let server: RunningServer;
  let convoyId = '';

  // Signed in as the operator: playwright.config.ts sends the run's token from every page and request.
  test.use({ town: { env: { GT_DEMO: '1', GT_TIME_SCALE: '20' } } });
  test.beforeEach(({ server: started }) => void (server = started));

  test('a staggered convoy: wave 2 starts only after wave 1’s merges land, live on its page', async ({ page }) => {
    test.setTimeout(480_000);
    // Priority 0, so the Mayor and the Refinery take them ahead of the demo's own beads.
    const created = await page.request.post(`${server.url}/api/convoys`, {
      data: {
        title: 'E2E staggered sprint',
        hold: true,
        beads: Array.from({ length: BEADS }, (_, i) => ({
          title: `Stagger part ${i + 1}`,
          rig: RIG,
          paths: ['ui/'],
          priority: 0,
        })),
      },
    });
    expect(created.status()).toBe(201);
    convoyId = (await created.json()).id;

    // The list shows it held; its row opens its page.
    await page.goto(`${server.url}/`);
    await page.getByTestId('nav-convoys').click();
    await expect(page).toHaveURL(/\/convoys$/);
    const row = page.locator(`[data-testid=convoy-row][data-convoy="${convoyId}"]`);
    await expect(row).toContainText('held');
    await expect(row).toContainText(`0/${BEADS}`);
    await row.getByRole('link', { name: 'E2E staggered sprint' }).click();
    await expect(page).toHaveURL(new RegExp(`/convoys/${convoyId}$`));
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await expect(page.getByTestId('convoy-title')).toHaveText('E2E staggered sprint');
    await expect(page.getByTestId('convoy-status')).toHaveText('held');
    await expect(page.getByTestId('bead-row')).toHaveCount(BEADS);
    await expect(page.getByTestId('no-waves')).toBeVisible();
    await expect(page.getByTestId('wave-diagram').locator('svg')).toBeVisible({ timeout: 30_000 });
    expect(await diagramText(page)).toContain('not dispatched yet');
    // A page-lifetime marker: everything below must arrive without a reload.
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    // Bad wave sizes: the server's reason, and the convoy stays held with no plan.
    const input = page.getByLabel('Wave size');
    const stagger = page.getByTestId('stagger-button');
    const result = page.getByTestId('convoy-action-result');
    await expect(stagger).toHaveText('Dispatch in waves');
    await input.fill('0');
    await stagger.click();
    await expect(result).toContainText('a wave size must be at least 1');
    await input.fill(String(BEADS + 1));
    await stagger.click();
    await expect(result).toContainText(`a wave size of ${BEADS + 1} is larger than the convoy's ${BEADS} beads`);
    await expect(page.getByTestId('convoy-status')).toHaveText('held');
    await expect(page.getByTestId('no-waves')).toBeVisible();
    for (const waveSize of [0, BEADS + 1, 2.5]) {
      const res = await page.request.post(`${server.url}/api/convoys/${convoyId}/stagger`, { data: { waveSize } });
      expect(res.status(), `waveSize ${waveSize}`).toBe(400);
      expect((await res.json()).error.code).toBe('invalid');
    }
    const unchanged = await (await page.request.get(`${server.url}/api/convoys/${convoyId}`)).json();
    expect(unchanged.dispatched).toBe(false);
    expect(unchanged.waves).toEqual([]);
    expect(unchanged.beads.every((b: { status: string }) => b.status === 'open')).toBe(true);

    // Stagger in waves of 4.
    await input.fill(String(WAVE));
    await stagger.click();
    await expect(result).toHaveText(`Dispatched 2 waves of up to ${WAVE}`);
    await expect(page.getByTestId('wave-row-1')).toBeVisible();
    await expect(page.getByTestId('wave-row-2')).toHaveAttribute('data-state', 'held');
    await expect(page.getByTestId('convoy-status')).toHaveText('open');
    await expect(page.getByTestId('bead-row').and(page.locator('[data-wave="1"]'))).toHaveCount(WAVE);
    await expect(page.getByTestId('bead-row').and(page.locator('[data-wave="2"]'))).toHaveCount(BEADS - WAVE);
    await expect.poll(() => diagramText(page), { message: 'the diagram shows the two waves' }).toContain(`Wave 2: ${WAVE} beads`);

    // Watch the waves from the page until wave 2 starts. At every look, while wave 1 has
    // not landed, wave 2 is held and has not started.
    let sawWave1RunningWhile2Held = false;
    let diagramWhileRunning: string | null = null;
    let w1: WaveRow | null = null;
    let w2: WaveRow | null = null;
    const deadline = Date.now() + 360_000;
    for (;;) {
      [w1, w2] = await waveRows(page);
      expect(w1, 'wave 1 row').not.toBeNull();
      expect(w2, 'wave 2 row').not.toBeNull();
      if (w1!.landedAt === '') {
        expect(w2!.state, 'wave 2 is held while wave 1 has not landed').toBe('held');
        expect(w2!.dispatchedAt, 'wave 2 has not started while wave 1 has not landed').toBe('');
      }
      if (w1!.state === 'dispatched' && w2!.state === 'held' && !sawWave1RunningWhile2Held) {
        sawWave1RunningWhile2Held = true;
        await expect(page.getByTestId('wave-state-1')).toHaveText('dispatched');
        await expect(page.getByTestId('wave-state-2')).toHaveText('held');
        await expect.poll(() => diagramText(page)).toMatch(/Wave 1: 4 beads.*dispatched/);
        diagramWhileRunning = await diagramText(page);
        expect(diagramWhileRunning).toMatch(/Wave 2: 4 beads\s*held 0\/4/);
      }
      if (w2!.dispatchedAt !== '') break;
      if (Date.now() > deadline) throw new Error(`wave 2 did not start in time; waves: ${JSON.stringify([w1, w2])}`);
      await page.waitForTimeout(250);
    }
    expect(sawWave1RunningWhile2Held, 'wave 1 was seen dispatched while wave 2 was held').toBe(true);
    expect(w1!.state).toBe('landed');
    expect(w1!.landedAt).not.toBe('');
    expect(Number(w2!.dispatchedAt), 'wave 2 started no earlier than wave 1 landed').toBeGreaterThanOrEqual(Number(w1!.landedAt));

    // The table says the same in words; the diagram was redrawn as the waves moved.
    await expect(page.getByTestId('wave-state-1')).toHaveText('landed');
    await expect(page.getByTestId('wave-landed-1')).not.toHaveText('—');
    await expect(page.getByTestId('wave-dispatched-2')).not.toHaveText('—');
    await expect.poll(() => diagramText(page)).toMatch(/Wave 1: 4 beads\s*landed 4\/4/);
    expect(await diagramText(page)).not.toBe(diagramWhileRunning);
    expect(Number(await page.getByTestId('wave-diagram').getAttribute('data-renders'))).toBeGreaterThanOrEqual(3);
    await expect(page.getByTestId('convoy-progress')).toHaveAttribute('data-done', /^[4-8]$/);
    await expect(page.getByTestId('wave-chart')).toBeVisible();
    await screenshot(page, 'convoy');

    // Re-staggering now re-plans only what has not started: nothing is left to re-plan in
    // waves of more than the beads still waiting; the server says so and nothing moves.
    await expect(stagger).toHaveText('Re-stagger');
    await input.fill(String(BEADS));
    await stagger.click();
    await expect(result).toContainText('larger than');
    await expect(page.getByTestId('wave-row-2')).not.toHaveAttribute('data-state', 'held');
    await expect(page.getByTestId('connection')).toHaveText('live');
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  });

  test('costs: tokens and spend by group, a refused negative budget, today against the budget', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(`${server.url}/`);
    await expect(page.getByTestId('costs-tile')).toContainText('no daily budget', { timeout: 30_000 });
    await page.getByTestId('nav-costs').click();
    await expect(page).toHaveURL(/\/costs$/, { timeout: 30_000 }); // a client navigation on a loaded machine
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });

    const table = page.getByTestId('costs-table');
    await expect(table).toHaveAttribute('data-by', 'agent');
    await expect.poll(() => page.getByTestId('costs-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.getByRole('tab', { name: 'Rig' }).click();
    await expect(table).toHaveAttribute('data-by', 'rig');
    await expect(page.locator(`[data-testid=costs-row][data-key="${RIG}"]`)).toContainText(/\$\d/);
    await page.getByRole('tab', { name: 'Convoy' }).click();
    await expect(page.locator(`[data-testid=costs-row][data-key="${convoyId}"]`)).toBeVisible();
    await page.getByRole('tab', { name: 'Last 7 days' }).click();
    await expect(table).toHaveAttribute('data-range', 'week');
    await page.getByRole('tab', { name: 'Model' }).click();
    await expect(table).toHaveAttribute('data-by', 'model');
    await expect(page.getByTestId('costs-total')).toContainText(/\$\d+\.\d{2}/);

    // A negative budget: the server's reason, and nothing is set.
    const budget = page.getByTestId('budget-input');
    const threshold = page.getByTestId('threshold-input');
    await budget.fill('-5');
    await page.getByTestId('budget-save').click();
    await expect(page.getByTestId('budget-result')).toContainText('an amount cannot be negative');
    const before = await (await page.request.get(`${server.url}/api/costs`)).json();
    expect(before.budget.dailyBudgetUsd).toBeNull();
    await expect(page.getByTestId('spend-today').locator('..')).toContainText('no daily budget');

    // A budget a little above today's spend, the alert a little below it: the bar is amber.
    const spent = before.today.costUsd as number;
    const dailyBudget = Math.round((spent * 2 + 0.01) * 100) / 100;
    const alertAt = Math.max(0.01, Math.floor(spent * 0.8 * 100) / 100);
    await budget.fill(String(dailyBudget));
    await threshold.fill(String(alertAt));
    await page.getByTestId('budget-save').click();
    await expect(page.getByTestId('budget-result')).toContainText('Saved: budget $');
    await expect(page.getByTestId('budget-bar')).toHaveAttribute('data-over-threshold', 'true');
    await expect(page.getByTestId('budget-bar')).toContainText(`of $${dailyBudget.toFixed(2)}`);
    const after = await (await page.request.get(`${server.url}/api/costs`)).json();
    expect(after.budget.dailyBudgetUsd).toBe(dailyBudget);
    expect(after.budget.alertThresholdUsd).toBe(alertAt);
    await screenshot(page, 'costs');

    await page.getByTestId('back-link').click();
    await expect(page.getByTestId('costs-tile')).toContainText(`of $${dailyBudget.toFixed(2)}`);
  });

  test('says so when the connection is lost instead of showing a stale convoy as live', async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(`${server.url}/convoys/${convoyId}`);
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
    await expect(page.getByTestId('wave-row-1')).toBeVisible();
    await expect(page.getByTestId('wave-diagram').locator('svg')).toBeVisible({ timeout: 30_000 });
    await server.stop();
    await expect(page.getByTestId('connection')).toHaveText('disconnected, reconnecting', { timeout: 30_000 });
    await expect(page.getByTestId('stale')).toContainText('not updating');
    // The last diagram stays, dimmed with the rest, under the notice.
    await expect(page.getByTestId('wave-diagram').locator('svg')).toBeVisible();
    await screenshot(page, 'convoy-reconnecting');
    await expect(page.getByTestId('stagger-button').or(page.getByTestId('convoy-actions-closed'))).toBeVisible();
    if (await page.getByTestId('stagger-button').isVisible()) await expect(page.getByTestId('stagger-button')).toBeDisabled();
  });
});
